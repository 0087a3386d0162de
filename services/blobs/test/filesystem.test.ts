import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FilesystemBlobStorage } from "@portfolio/blobs";
import { digestOf } from "@portfolio/core";
import { bodyOf } from "./bodies";
import { describeBlobStorage } from "./driver-suite";

async function temporaryRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), "portfolio-blobs-"));
}

describeBlobStorage("filesystem", async () => {
  const root = await temporaryRoot();
  const storage = await FilesystemBlobStorage.open(root);
  return {
    storage,
    async cleanup() {
      await storage.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe("filesystem blob storage on disk", () => {
  let root: string;

  beforeEach(async () => {
    root = await temporaryRoot();
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("resumes an upload after a restart and verifies it by reading the staged bytes", async () => {
    const uploadId = randomUUID();
    const before = new FilesystemBlobStorage({ root });
    await before.createUpload(uploadId);
    await before.appendUpload(uploadId, bodyOf("before "));
    await before.close();

    const after = new FilesystemBlobStorage({ root });
    expect(await after.uploadSize(uploadId)).toBe(7);
    await after.appendUpload(uploadId, bodyOf("after"), { offset: 7 });
    const blob = await after.commitUpload(uploadId, digestOf(Buffer.from("before after")));

    expect(blob.size).toBe(12);
    await expect(after.commitUpload(uploadId, blob.digest)).rejects.toThrow("unknown");
  });

  it("stages uploads by id; stores blobs sharded by their key's first two digits", async () => {
    const storage = new FilesystemBlobStorage({ root });
    const uploadId = randomUUID();
    await storage.createUpload(uploadId);
    await storage.appendUpload(uploadId, bodyOf("abc"));
    expect(await readdir(join(root, "uploads"))).toEqual([uploadId]);

    const { storageKey } = await storage.commitUpload(uploadId, digestOf(Buffer.from("abc")));

    expect(await readdir(join(root, "uploads"))).toEqual([]);
    const stored = await stat(join(root, "blobs", storageKey.slice(0, 2), storageKey));
    expect(stored.size).toBe(3);
  });

  it("never turns a name that is not a UUID into a path", async () => {
    const storage = new FilesystemBlobStorage({ root });
    const outside = join(root, "outside");
    await writeFile(outside, "keep me");

    await storage.delete("../outside");
    await storage.cancelUpload("../outside");

    await expect(storage.createUpload("../outside")).rejects.toThrow(TypeError);
    await expect(storage.appendUpload("../outside", bodyOf("x"))).rejects.toThrow("unknown");
    expect((await stat(outside)).size).toBe(7);
  });

  it("accepts upper-case UUIDs as the same names", async () => {
    const storage = new FilesystemBlobStorage({ root });
    const uploadId = randomUUID();
    await storage.createUpload(uploadId.toUpperCase());

    await storage.appendUpload(uploadId, bodyOf("abc"));

    expect(await storage.uploadSize(uploadId.toUpperCase())).toBe(3);
  });
});
