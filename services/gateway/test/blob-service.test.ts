import { Readable } from "node:stream";
import {
  type BlobRecord,
  type BlobStorage,
  BlobUnknownError,
  type MetadataStore,
} from "@portfolio/core";
import { BlobLookups } from "../src/registry/blob-lookups";
import { BlobService } from "../src/registry/blobs";

const DIGEST = `sha256:${"b".repeat(64)}`;

/** Storage holding `keys`, and metadata answering whatever `current` holds. */
function service(keys: string[], current: { blob: BlobRecord | undefined }) {
  const storage = {
    async read(storageKey: string) {
      if (!keys.includes(storageKey)) throw new BlobUnknownError(storageKey);
      return Readable.from([Buffer.from(storageKey)]);
    },
  } as Partial<BlobStorage> as BlobStorage;
  const metadata = {
    findBlob: async () => current.blob,
  } as Partial<MetadataStore> as MetadataStore;
  const lookups = new BlobLookups(metadata, { leaseMs: 60_000, shared: false });
  return new BlobService({ metadata, storage }, lookups);
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("BlobService reading through a lease", () => {
  it("reads the new bytes of a blob collected and uploaded again since the lease", async () => {
    const current = { blob: { digest: DIGEST, size: 3, storageKey: "old" } as BlobRecord };
    const keys = ["old"];
    const blobs = service(keys, current);
    const leased = await blobs.stat("lib/a", DIGEST);

    // The collector deletes the bytes; an upload stores the digest again under a new key.
    keys.splice(0, 1, "new");
    current.blob = { digest: DIGEST, size: 3, storageKey: "new" };

    expect(await text(await blobs.open("lib/a", leased))).toBe("new");
    expect((await blobs.stat("lib/a", DIGEST)).storageKey).toBe("new");
  });

  it("answers BLOB_UNKNOWN with the digest, not the storage key, when bytes are gone", async () => {
    const current = { blob: { digest: DIGEST, size: 3, storageKey: "old" } as BlobRecord };
    const blobs = service([], current);
    const leased = await blobs.stat("lib/a", DIGEST);

    const opening = blobs.open("lib/a", leased);
    await expect(opening).rejects.toBeInstanceOf(BlobUnknownError);
    await expect(opening).rejects.toThrow(DIGEST);
    await expect(opening).rejects.not.toThrow("old");
  });
});
