import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FilesystemBlobStorage, S3BlobStorage } from "@portfolio/blobs";
import { serveBlobs, storeBlob } from "./blob-service";
import { s3Fixture, whenS3 } from "./s3-fixture";

const content = randomBytes(4096);
const expiry = { expiresInSeconds: 300 };

/** Fetches a presigned URL, as a registry client would after a redirect. */
async function fetchBytes(url: string, range?: string) {
  const response = await fetch(url, { headers: range === undefined ? {} : { range } });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe("presigned reads from a driver that has none", () => {
  it("answer undefined, and the HTTP client asks the service only once", async () => {
    const root = await mkdtemp(join(tmpdir(), "portfolio-presign-"));
    const driver = await FilesystemBlobStorage.open(root);
    const service = await serveBlobs(driver);
    try {
      const key = await storeBlob(service.client, content);
      expect(driver.presignRead).toBeUndefined();

      expect(await service.client.presignRead(key, expiry)).toBeUndefined();
      expect(await service.client.presignRead(key, expiry)).toBeUndefined();
      expect(service.paths.filter((path) => path.includes("/presign"))).toHaveLength(1);
    } finally {
      await service.stop();
      await driver.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

whenS3("presigned S3 reads", (options) => {
  describe("presigned S3 reads on a real server", () => {
    let fixture: ReturnType<typeof s3Fixture>;
    let key: string;

    beforeAll(async () => {
      fixture = s3Fixture(options);
      key = await storeBlob(fixture.storage, content);
    });
    afterAll(async () => {
      await fixture.storage.close();
      await fixture.removeAll();
    });

    it("give the exact bytes, and a Range request gets 206 with the slice", async () => {
      const url = await fixture.storage.presignRead(key, expiry);

      expect(url).toContain("X-Amz-Signature=");
      expect(await fetchBytes(url)).toEqual({ status: 200, bytes: content });
      const forged = url.replace(/X-Amz-Signature=\w+/, `X-Amz-Signature=${"0".repeat(64)}`);
      expect((await fetchBytes(forged)).status).toBe(403);
      expect(await fetchBytes(url, "bytes=10-19")).toEqual({
        status: 206,
        bytes: content.subarray(10, 20),
      });
    });

    it("are signed for the public endpoint when one is given", async () => {
      // Another name for the same server, as clients outside a cluster would use.
      const publicEndpoint = options.endpoint.replace("127.0.0.1", "localhost");
      const storage = new S3BlobStorage({ ...options, prefix: fixture.prefix, publicEndpoint });
      try {
        const url = await storage.presignRead(key, expiry);

        expect(url.startsWith(`${publicEndpoint}/`)).toBe(true);
        expect(await fetchBytes(url)).toEqual({ status: 200, bytes: content });
      } finally {
        await storage.close();
      }
    });

    it("refuse an expiry beyond what SigV4 allows", async () => {
      await expect(
        fixture.storage.presignRead(key, { expiresInSeconds: 8 * 86400 }),
      ).rejects.toThrow(TypeError);
      await expect(fixture.storage.presignRead(key, { expiresInSeconds: 0 })).rejects.toThrow(
        TypeError,
      );
    });

    it("come through the blob service's HTTP client", async () => {
      const service = await serveBlobs(fixture.storage);
      try {
        const url = await service.client.presignRead(key, expiry);

        expect(url).toBeDefined();
        expect(await fetchBytes(url!)).toEqual({ status: 200, bytes: content });
        expect(await fetchBytes(url!, "bytes=10-19")).toEqual({
          status: 206,
          bytes: content.subarray(10, 20),
        });
        await expect(service.client.presignRead(key, { expiresInSeconds: 0 })).rejects.toThrow(
          TypeError,
        );
        // A second pull of the same blob reuses the URL, without a round trip.
        expect(await service.client.presignRead(key, expiry)).toBe(url);
        expect(service.paths.filter((path) => path.includes("/presign"))).toHaveLength(2);
      } finally {
        await service.stop();
      }
    });
  });
});
