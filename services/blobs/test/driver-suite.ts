import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import {
  type BlobStorage,
  BlobUnknownError,
  DigestMismatchError,
  digestOf,
  SizeMismatchError,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";
import { abortedBody, bodyOf, generatedBody, readAll, slowBodyOf } from "./bodies";
import { digestOfStream, peakMemoryGrowth } from "./measure";

export interface DriverFixture {
  storage: BlobStorage;
  /** Closes the driver and removes whatever it stored. */
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;

/**
 * The behaviour every BlobStorage driver must show, as one suite to run
 * against each of them. `setup` gives a fresh, empty driver for every test.
 */
export function describeBlobStorage(name: string, setup: () => Promise<DriverFixture>): void {
  describe(`${name} blob storage`, () => {
    let storage: BlobStorage;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ storage, cleanup } = await setup());
    });
    afterEach(() => cleanup());

    async function uploadOf(...chunks: string[]): Promise<string> {
      const uploadId = randomUUID();
      await storage.createUpload(uploadId);
      for (const chunk of chunks) await storage.appendUpload(uploadId, bodyOf(chunk));
      return uploadId;
    }

    async function storedBytes(storageKey: string): Promise<string> {
      return (await readAll(await storage.read(storageKey))).toString();
    }

    describe("uploads", () => {
      it("starts an upload session empty", async () => {
        const uploadId = await uploadOf();

        expect(await storage.uploadSize(uploadId)).toBe(0);
      });

      it("appends chunks in order and answers the new size each time", async () => {
        const uploadId = await uploadOf();

        expect(await storage.appendUpload(uploadId, bodyOf("hello "))).toBe(6);
        expect(await storage.appendUpload(uploadId, bodyOf("wor", "ld"), { offset: 6 })).toBe(11);
        expect(await storage.appendUpload(uploadId, bodyOf("!"), { length: 1 })).toBe(12);
        expect(await storage.uploadSize(uploadId)).toBe(12);
      });

      it("refuses a chunk at the wrong offset without reading or writing a byte", async () => {
        const uploadId = await uploadOf("abc");
        const body = bodyOf("def");

        const append = storage.appendUpload(uploadId, body, { offset: 5 });

        await expect(append).rejects.toEqual(new UploadOffsetError(3, 5));
        expect(await storage.uploadSize(uploadId)).toBe(3);
        expect(body.readableDidRead).toBe(false);
      });

      it.each([
        ["fewer", "de", 2],
        ["more", "defg", 4],
      ])("rolls back a chunk of %s bytes than announced", async (_case, chunk, received) => {
        const uploadId = await uploadOf("abc");

        const append = storage.appendUpload(uploadId, bodyOf(chunk), { length: 3 });

        await expect(append).rejects.toEqual(new SizeMismatchError(3, received));
        expect(await storage.uploadSize(uploadId)).toBe(3);
        await storage.appendUpload(uploadId, bodyOf("def"), { offset: 3, length: 3 });
        const blob = await storage.commitUpload(uploadId, digestOf(Buffer.from("abcdef")));
        expect(await storedBytes(blob.storageKey)).toBe("abcdef");
      });

      it("rolls back a chunk whose body fails and passes the failure on", async () => {
        const uploadId = await uploadOf("abc");
        const disconnected = new Error("client went away");

        const append = storage.appendUpload(uploadId, abortedBody(disconnected, "de", "fg"));

        await expect(append).rejects.toBe(disconnected);
        expect(await storage.uploadSize(uploadId)).toBe(3);
        await storage.appendUpload(uploadId, bodyOf("xyz"));
        const blob = await storage.commitUpload(uploadId, digestOf(Buffer.from("abcxyz")));
        expect(await storedBytes(blob.storageKey)).toBe("abcxyz");
      });

      it("serialises concurrent appends to one upload", async () => {
        const uploadId = await uploadOf();

        const sizes = await Promise.all([
          storage.appendUpload(uploadId, slowBodyOf("a", "a", "a")),
          storage.appendUpload(uploadId, slowBodyOf("b", "b", "b")),
        ]);

        expect(sizes).toEqual([3, 6]);
        const blob = await storage.commitUpload(uploadId, digestOf(Buffer.from("aaabbb")));
        expect(await storedBytes(blob.storageKey)).toBe("aaabbb");
      });

      it("refuses the second of two concurrent appends at the same offset", async () => {
        const uploadId = await uploadOf();

        const [first, second] = await Promise.allSettled([
          storage.appendUpload(uploadId, slowBodyOf("a", "a"), { offset: 0 }),
          storage.appendUpload(uploadId, slowBodyOf("b", "b"), { offset: 0 }),
        ]);

        expect(first).toEqual({ status: "fulfilled", value: 2 });
        expect(second).toEqual({ status: "rejected", reason: new UploadOffsetError(2, 0) });
      });

      it("discards a cancelled upload, and ignores cancelling an unknown one", async () => {
        const uploadId = await uploadOf("abc");

        await storage.cancelUpload(uploadId);
        await storage.cancelUpload(randomUUID());

        expect(await storage.uploadSize(uploadId)).toBeUndefined();
        await expect(storage.appendUpload(uploadId, bodyOf("d"))).rejects.toBeInstanceOf(
          UploadUnknownError,
        );
      });

      it("knows nothing of uploads it never created", async () => {
        const uploadId = randomUUID();

        expect(await storage.uploadSize(uploadId)).toBeUndefined();
        expect(await storage.uploadSize("../../etc/passwd")).toBeUndefined();
        await expect(storage.appendUpload(uploadId, bodyOf("a"))).rejects.toEqual(
          new UploadUnknownError(uploadId),
        );
        await expect(storage.commitUpload(uploadId, digestOf(Buffer.alloc(0)))).rejects.toEqual(
          new UploadUnknownError(uploadId),
        );
      });
    });

    describe("commits", () => {
      it("stores the bytes of a sha256-verified upload under a new key", async () => {
        const uploadId = await uploadOf("hello ", "world");
        const digest = digestOf(Buffer.from("hello world"));

        const blob = await storage.commitUpload(uploadId, digest);

        expect(blob).toEqual({ digest, size: 11, storageKey: expect.any(String) });
        expect(await storedBytes(blob.storageKey)).toBe("hello world");
        expect(await storage.uploadSize(uploadId)).toBeUndefined();
      });

      it("verifies sha512 digests", async () => {
        const uploadId = await uploadOf("hello ", "world");
        const digest = digestOf(Buffer.from("hello world"), "sha512");

        const blob = await storage.commitUpload(uploadId, digest);

        expect(blob).toEqual({ digest, size: 11, storageKey: expect.any(String) });
        expect(await storedBytes(blob.storageKey)).toBe("hello world");
      });

      it("refuses a wrong digest and keeps the upload for a retry", async () => {
        const uploadId = await uploadOf("abc");
        const wrong = digestOf(Buffer.from("abd"));
        const right = digestOf(Buffer.from("abc"));

        await expect(storage.commitUpload(uploadId, wrong)).rejects.toEqual(
          new DigestMismatchError(wrong, right),
        );

        expect(await storage.uploadSize(uploadId)).toBe(3);
        const blob = await storage.commitUpload(uploadId, right);
        expect(await storedBytes(blob.storageKey)).toBe("abc");
      });

      it("lets a refused commit be followed by more bytes", async () => {
        const uploadId = await uploadOf("abc");
        await expect(storage.commitUpload(uploadId, digestOf(Buffer.from("x")))).rejects.toThrow(
          DigestMismatchError,
        );

        await storage.appendUpload(uploadId, bodyOf("def"));

        const blob = await storage.commitUpload(uploadId, digestOf(Buffer.from("abcdef")));
        expect(await storedBytes(blob.storageKey)).toBe("abcdef");
      });

      it("refuses a digest it cannot parse", async () => {
        const uploadId = await uploadOf("abc");

        await expect(storage.commitUpload(uploadId, "sha256:totallywrong")).rejects.toThrow(
          DigestMismatchError,
        );
        expect(await storage.uploadSize(uploadId)).toBe(3);
      });

      it("stores an empty blob", async () => {
        const uploadId = await uploadOf();
        const digest = digestOf(Buffer.alloc(0));

        const blob = await storage.commitUpload(uploadId, digest);

        expect(blob).toEqual({ digest, size: 0, storageKey: expect.any(String) });
        expect(await storedBytes(blob.storageKey)).toBe("");
      });

      it("stores the same content twice under two keys", async () => {
        const digest = digestOf(Buffer.from("same"));

        const first = await storage.commitUpload(await uploadOf("same"), digest);
        const second = await storage.commitUpload(await uploadOf("same"), digest);

        expect(first.storageKey).not.toBe(second.storageKey);
      });

      it("commits an upload only once", async () => {
        const uploadId = await uploadOf("abc");
        const digest = digestOf(Buffer.from("abc"));
        await storage.commitUpload(uploadId, digest);

        await expect(storage.commitUpload(uploadId, digest)).rejects.toEqual(
          new UploadUnknownError(uploadId),
        );
      });
    });

    describe("puts", () => {
      function put(body: Readable, digest: string, options?: { length?: number }) {
        if (storage.putBlob === undefined) throw new Error("the driver has no putBlob");
        return storage.putBlob(body, digest, options);
      }

      it.each([
        ["an announced", 11],
        ["an unknown", undefined],
      ])("stores a verified blob of %s length in one call", async (_case, length) => {
        const digest = digestOf(Buffer.from("hello world"));

        const blob = await put(bodyOf("hello ", "world"), digest, { length });

        expect(blob).toEqual({ digest, size: 11, storageKey: expect.any(String) });
        expect(await storedBytes(blob.storageKey)).toBe("hello world");
      });

      it("verifies sha512 digests", async () => {
        const digest = digestOf(Buffer.from("abc"), "sha512");

        const blob = await put(bodyOf("abc"), digest);

        expect(await storedBytes(blob.storageKey)).toBe("abc");
      });

      it("stores an empty blob", async () => {
        const digest = digestOf(Buffer.alloc(0));

        const blob = await put(bodyOf(), digest, { length: 0 });

        expect(blob).toEqual({ digest, size: 0, storageKey: expect.any(String) });
        expect(await storedBytes(blob.storageKey)).toBe("");
      });

      it("refuses a wrong digest, and one it cannot parse", async () => {
        const wrong = digestOf(Buffer.from("abd"));
        const right = digestOf(Buffer.from("abc"));

        await expect(put(bodyOf("abc"), wrong)).rejects.toEqual(
          new DigestMismatchError(wrong, right),
        );
        await expect(put(bodyOf("abc"), "sha256:nope")).rejects.toThrow(DigestMismatchError);
      });

      it.each([
        ["fewer", "ab", 2],
        ["more", "abcd", 4],
      ])("refuses a body of %s bytes than announced", async (_case, content, received) => {
        const digest = digestOf(Buffer.from("abc"));

        await expect(put(bodyOf(content), digest, { length: 3 })).rejects.toEqual(
          new SizeMismatchError(3, received),
        );
      });

      it("passes a failing body's error on", async () => {
        const failure = new Error("client went away");

        const putting = put(abortedBody(failure, "abc"), digestOf(Buffer.from("abc")));

        await expect(putting).rejects.toThrow("client went away");
      });

      it.each([
        ["over several S3 parts", 21 * MiB],
        ["of exactly two S3 parts", 16 * MiB],
      ])(
        "stores a blob %s",
        async (_case, size) => {
          const content = Buffer.alloc(size);
          for (let at = 0; at < size; at++) content[at] = (at * 31) % 251;
          const chunks = Array.from({ length: size / (64 * 1024) }, (_, index) =>
            content.subarray(index * 64 * 1024, (index + 1) * 64 * 1024),
          );

          const blob = await put(bodyOf(...chunks), digestOf(content));

          expect(blob.size).toBe(size);
          expect(await digestOfStream(await storage.read(blob.storageKey))).toBe(blob.digest);
        },
        20_000,
      );
    });

    describe("reads and deletes", () => {
      async function blobOf(content: string): Promise<string> {
        const uploadId = await uploadOf(content);
        return (await storage.commitUpload(uploadId, digestOf(Buffer.from(content)))).storageKey;
      }

      it.each([
        [{ start: 0, end: 0 }, "0"],
        [{ start: 3, end: 6 }, "3456"],
        [{ start: 9, end: 9 }, "9"],
        [{ start: 0, end: 9 }, "0123456789"],
      ])("reads the inclusive range %o", async (range, expected) => {
        const storageKey = await blobOf("0123456789");

        const bytes = await readAll(await storage.read(storageKey, range));

        expect(bytes.toString()).toBe(expected);
      });

      it("refuses to read a key it does not hold", async () => {
        const storageKey = randomUUID();

        await expect(storage.read(storageKey)).rejects.toEqual(new BlobUnknownError(storageKey));
        await expect(storage.read("../uploads")).rejects.toBeInstanceOf(BlobUnknownError);
      });

      it("deletes a blob, and ignores deleting an unknown one", async () => {
        const storageKey = await blobOf("abc");

        await storage.delete(storageKey);
        await storage.delete(storageKey);
        await storage.delete(randomUUID());

        await expect(storage.read(storageKey)).rejects.toBeInstanceOf(BlobUnknownError);
      });
    });

    describe("listing", () => {
      it("lists every stored blob and staged upload, and nothing deleted", async () => {
        const kept = await uploadOf("0123456789");
        const stored = await storage.commitUpload(kept, digestOf(Buffer.from("0123456789")));
        const gone = await storage.commitUpload(await uploadOf("x"), digestOf(Buffer.from("x")));
        await storage.delete(gone.storageKey);
        const staged = await uploadOf("abc");
        const before = Date.now() - 60_000;

        const listed = [];
        for await (const object of storage.listObjects?.() ?? []) listed.push(object);

        const shown = listed.map(({ kind, key, size }) => ({ kind, key, size }));
        expect(shown).toContainEqual({ kind: "blob", key: stored.storageKey, size: 10 });
        expect(shown.filter((object) => object.kind === "blob")).toHaveLength(1);
        expect(shown.find((object) => object.key === staged)).toMatchObject({ kind: "upload" });
        expect(listed.every((object) => object.modifiedAt.getTime() > before)).toBe(true);
      });
    });

    describe("large blobs", () => {
      it("streams 256 MiB through without holding it in memory", async () => {
        const uploadId = await uploadOf();
        const content = generatedBody(256 * MiB);
        const memory = peakMemoryGrowth();

        await storage.appendUpload(uploadId, content.body, { offset: 0, length: 256 * MiB });
        const blob = await storage.commitUpload(uploadId, content.digest());
        const readBack = await digestOfStream(await storage.read(blob.storageKey));

        expect(memory.stop()).toBeLessThan(64 * MiB);
        expect(blob.size).toBe(256 * MiB);
        expect(readBack).toBe(content.digest());
      }, 20_000);
    });
  });
}
