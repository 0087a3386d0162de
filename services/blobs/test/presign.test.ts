import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BlobServer,
  FilesystemBlobStorage,
  HttpBlobStorage,
  S3BlobStorage,
} from "@portfolio/blobs";
import { type BlobStorage, digestOf } from "@portfolio/core";
import pino from "pino";
import { bodyOf } from "./bodies";
import { s3Fixture, s3FromEnvironment } from "./s3-fixture";

const silent = pino({ level: "silent" });
const content = randomBytes(4096);
const expiry = { expiresInSeconds: 300 };

/** Stores `content` as a blob and answers its storage key. */
async function store(storage: BlobStorage): Promise<string> {
  const uploadId = randomUUID();
  await storage.createUpload(uploadId);
  await storage.appendUpload(uploadId, bodyOf(content));
  return (await storage.commitUpload(uploadId, digestOf(content))).storageKey;
}

/** Fetches a presigned URL, as a registry client would after a redirect. */
async function fetchBytes(url: string, range?: string) {
  const response = await fetch(url, { headers: range === undefined ? {} : { range } });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** A blob service on 127.0.0.1:0 over `storage`, counting the requests it gets. */
async function serve(storage: BlobStorage) {
  const server = new BlobServer({ storage, logger: silent });
  const client = new HttpBlobStorage({ url: await server.listen(0, "127.0.0.1") });
  const paths: string[] = [];
  server.server.on("request", (request) => paths.push(request.url ?? ""));
  return {
    client,
    paths,
    async stop() {
      await client.close();
      await server.close();
    },
  };
}

describe("presigned reads from a driver that has none", () => {
  it("answer undefined, and the HTTP client asks the service only once", async () => {
    const root = await mkdtemp(join(tmpdir(), "portfolio-presign-"));
    const driver = await FilesystemBlobStorage.open(root);
    const service = await serve(driver);
    try {
      const key = await store(service.client);
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

const server = s3FromEnvironment();

if (server === undefined) {
  describe.skip("presigned S3 reads (set PORTFOLIO_TEST_S3_ENDPOINT, see versitygw.sh)", () => {
    it("needs an S3 server", () => undefined);
  });
} else {
  const options = server;

  describe("presigned S3 reads on a real server", () => {
    let fixture: ReturnType<typeof s3Fixture>;
    let key: string;

    beforeAll(async () => {
      fixture = s3Fixture(options);
      key = await store(fixture.storage);
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
      const service = await serve(fixture.storage);
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
}
