import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { S3BlobStorage } from "@portfolio/blobs";
import { BackendUnavailableError, DigestMismatchError, digestOf } from "@portfolio/core";
import { bodyOf, generatedBody, readAll } from "./bodies";
import { describeBlobStorage } from "./driver-suite";
import { keysUnder, multipartUploadsUnder, s3Fixture, whenS3 } from "./s3-fixture";

const MiB = 1024 * 1024;

whenS3("s3 blob storage", (options) => {
  describeBlobStorage("s3", async () => {
    const fixture = s3Fixture(options);
    return {
      storage: fixture.storage,
      async cleanup() {
        await fixture.storage.close();
        await fixture.removeAll();
      },
    };
  });

  describe("s3 blob storage on a real server", () => {
    let fixture: ReturnType<typeof s3Fixture>;

    beforeEach(() => {
      fixture = s3Fixture(options);
    });
    afterEach(async () => {
      await fixture.storage.close();
      await fixture.removeAll();
    });

    it("commits a multipart blob appended in uneven chunks and reads ranges of it", async () => {
      const { storage } = fixture;
      const uploadId = randomUUID();
      await storage.createUpload(uploadId);
      const content = Buffer.concat(
        [3 * MiB, 7 * MiB, 1, 15 * MiB].map((size, index) => Buffer.alloc(size, index + 1)),
      );
      let offset = 0;
      for (const size of [3 * MiB, 7 * MiB, 1, 15 * MiB]) {
        const chunk = content.subarray(offset, offset + size);
        offset = await storage.appendUpload(uploadId, bodyOf(chunk), { offset, length: size });
      }

      const blob = await storage.commitUpload(uploadId, digestOf(content));

      expect(blob.size).toBe(content.length);
      const whole = await readAll(await storage.read(blob.storageKey));
      expect(sha256(whole)).toBe(sha256(content));
      const across = { start: 8 * MiB - 5, end: 16 * MiB + 5 };
      const part = await readAll(await storage.read(blob.storageKey, across));
      expect(part.equals(content.subarray(across.start, across.end + 1))).toBe(true);
      expect(await keysUnder(options, fixture.prefix)).toEqual([`blobs/${blob.storageKey}`]);
    });

    it("continues an upload on a new driver instance after a restart", async () => {
      const uploadId = randomUUID();
      const head = Buffer.alloc(12 * MiB, 3);
      await fixture.storage.createUpload(uploadId);
      await fixture.storage.appendUpload(uploadId, bodyOf(head));
      await fixture.storage.close();

      fixture.storage = fixture.open();
      expect(await fixture.storage.uploadSize(uploadId)).toBe(12 * MiB);
      await fixture.storage.appendUpload(uploadId, bodyOf("the end"), { offset: 12 * MiB });
      const content = Buffer.concat([head, Buffer.from("the end")]);
      const blob = await fixture.storage.commitUpload(uploadId, digestOf(content));

      expect(blob.size).toBe(content.length);
      const readBack = await readAll(await fixture.storage.read(blob.storageKey));
      expect(sha256(readBack)).toBe(sha256(content));
    });

    it("keeps a restarted upload resumable through a refused commit", async () => {
      const uploadId = randomUUID();
      const head = Buffer.alloc(9 * MiB, 7);
      await fixture.storage.createUpload(uploadId);
      await fixture.storage.appendUpload(uploadId, bodyOf(head, "tail"));
      fixture.storage = fixture.open();

      await expect(fixture.storage.commitUpload(uploadId, digestOf(head))).rejects.toThrow(
        DigestMismatchError,
      );
      await fixture.storage.appendUpload(uploadId, bodyOf("!"), { offset: 9 * MiB + 4 });

      const content = Buffer.concat([head, Buffer.from("tail!")]);
      const blob = await fixture.storage.commitUpload(uploadId, digestOf(content));
      expect(sha256(await readAll(await fixture.storage.read(blob.storageKey)))).toBe(
        sha256(content),
      );
    });

    it("leaves nothing behind when an upload with parts is cancelled", async () => {
      const uploadId = randomUUID();
      await fixture.storage.createUpload(uploadId);
      await fixture.storage.appendUpload(uploadId, generatedBody(10 * MiB).body);

      await fixture.storage.cancelUpload(uploadId);

      expect(await keysUnder(options, fixture.prefix)).toEqual([]);
    });

    it("puts a small blob with nothing but the blob's object", async () => {
      const blob = await fixture.storage.putBlob(bodyOf("abc"), digestOf(Buffer.from("abc")));

      expect(await keysUnder(options, fixture.prefix)).toEqual([`blobs/${blob.storageKey}`]);
    });

    it.each([
      ["small", 1 * MiB],
      ["multipart", 10 * MiB],
    ])("leaves nothing behind when a %s put is refused", async (_case, size) => {
      const wrong = digestOf(Buffer.from("something else"));

      const putting = fixture.storage.putBlob(generatedBody(size).body, wrong);

      await expect(putting).rejects.toThrow(DigestMismatchError);
      expect(await keysUnder(options, fixture.prefix)).toEqual([]);
      expect(await multipartUploadsUnder(options, fixture.prefix)).toEqual([]);
    });

    it("answers ping when the bucket is there", async () => {
      await expect(fixture.storage.ping()).resolves.toBeUndefined();
    });
  });
});

describe("s3 blob storage without a server", () => {
  it("reports the backend unavailable when nothing listens", async () => {
    const port = await closedPort();
    const storage = new S3BlobStorage({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: "portfolio",
      accessKeyId: "nobody",
      secretAccessKey: "nothing",
    });

    await expect(storage.ping()).rejects.toBeInstanceOf(BackendUnavailableError);
    await storage.close();
  });
});

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A loopback port that was just free, so that connecting to it is refused. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
