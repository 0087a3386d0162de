import { Readable } from "node:stream";
import type { BlobStorage, MetadataStore, StoredBlob } from "@portfolio/core";
import { BlobLookups } from "../src/registry/blob-lookups";
import { UploadService } from "../src/registry/uploads";

const DIGEST = `sha256:${"a".repeat(64)}`;
const STORED: StoredBlob = { digest: DIGEST, size: 3, storageKey: "ours" };

/** Backends that record the calls made to them; only what UploadService uses is there. */
function backends(options: { putBlob: boolean; winner?: string }) {
  const calls: string[] = [];
  const record = (name: string, value?: unknown) => async () => {
    calls.push(name);
    return value;
  };
  const session = { id: "00000000-0000-4000-8000-000000000000", repository: "r" };
  const metadata = {
    createUpload: record("metadata.createUpload", session),
    findUpload: record("metadata.findUpload", session),
    deleteUpload: record("metadata.deleteUpload", true),
    commitBlob: record("metadata.commitBlob", { ...STORED, storageKey: options.winner ?? "ours" }),
  };
  const storage = {
    createUpload: record("storage.createUpload"),
    appendUpload: record("storage.appendUpload", 3),
    commitUpload: record("storage.commitUpload", STORED),
    delete: record("storage.delete"),
    ...(options.putBlob ? { putBlob: record("storage.putBlob", STORED) } : {}),
  };
  const wired = {
    metadata: metadata as unknown as MetadataStore,
    storage: storage as unknown as BlobStorage,
  };
  const lookups = new BlobLookups(wired.metadata, { leaseMs: 0, shared: false });
  const service = new UploadService(wired, 60_000, lookups);
  return { service, calls };
}

const body = () => ({ body: Readable.from([Buffer.from("abc")]), length: 3 });

describe("monolithic puts", () => {
  it("record no session when storage puts blobs in one call", async () => {
    const { service, calls } = backends({ putBlob: true });

    await service.put("r", DIGEST, body());

    expect(calls).toEqual(["storage.putBlob", "metadata.commitBlob"]);
  });

  it("delete their bytes when another upload's won", async () => {
    const { service, calls } = backends({ putBlob: true, winner: "theirs" });

    const blob = await service.put("r", DIGEST, body());

    expect(blob.storageKey).toBe("theirs");
    expect(calls).toEqual(["storage.putBlob", "metadata.commitBlob", "storage.delete"]);
  });

  it("go through a session when storage cannot put", async () => {
    const { service, calls } = backends({ putBlob: false });

    await service.put("r", DIGEST, body());

    expect(calls).toEqual([
      "metadata.createUpload",
      "storage.createUpload",
      "metadata.findUpload",
      "storage.appendUpload",
      "storage.commitUpload",
      "metadata.commitBlob",
      "metadata.deleteUpload",
    ]);
  });
});
