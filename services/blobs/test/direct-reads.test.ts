import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DirectReadFallback, FilesystemBlobStorage } from "@portfolio/blobs";
import { type BlobStorage, BlobUnknownError, digestOf, type PresignOptions } from "@portfolio/core";
import { serveBlobs, storeBlob } from "./blob-service";
import { bodyOf, readAll } from "./bodies";
import { s3Fixture, whenS3 } from "./s3-fixture";

const content = randomBytes(64 * 1024);

/**
 * A blob service over `storage` and a client of it with direct reads on,
 * recording the service's request paths and every fallback the client took.
 */
async function serveDirect(storage: BlobStorage, presignOnStore?: PresignOptions[]) {
  const fallbacks: DirectReadFallback[] = [];
  let direct = 0;
  const service = await serveBlobs(storage, {
    directReads: {
      onOutcome: (outcome) => {
        if (outcome.kind === "direct") direct += 1;
        else fallbacks.push(outcome);
      },
      timeoutMs: 5_000,
    },
    presignOnStore,
  });
  return {
    ...service,
    fallbacks,
    directReads: () => direct,
    /** The service's own blob reads, as opposed to presign calls. */
    serviceReads: () => service.paths.filter((path) => /^\/blobs\/[^/?]+$/.test(path)).length,
  };
}

/**
 * A filesystem driver that claims to presign, handing out URLs of a stand-in
 * store on loopback whose answers each test picks: the shapes real stores
 * take when they misbehave, which a real S3 server cannot be made to show.
 */
async function withStandInStore(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
  test: (fixture: {
    key: string;
    service: Awaited<ReturnType<typeof serveDirect>>;
  }) => Promise<void>,
) {
  const root = await mkdtemp(join(tmpdir(), "portfolio-direct-"));
  const standIn = createServer(answer);
  await new Promise<void>((resolve) => standIn.listen(0, "127.0.0.1", resolve));
  const { port } = standIn.address() as AddressInfo;
  const driver = await FilesystemBlobStorage.open(root);
  const presigning = Object.assign(Object.create(driver) as BlobStorage, {
    presignRead: async (key: string) => `http://127.0.0.1:${port}/bucket/${key}?X-Amz-Signature=s`,
  });
  const service = await serveDirect(presigning);
  try {
    await test({ key: await storeBlob(driver, content), service });
  } finally {
    await service.stop();
    standIn.closeAllConnections();
    await new Promise((resolve) => standIn.close(resolve));
    await driver.close();
    await rm(root, { recursive: true, force: true });
  }
}

describe("direct reads, when storage misbehaves", () => {
  it("read through the service when storage refuses the URL", async () => {
    const refuse = (_: IncomingMessage, response: ServerResponse) => {
      response.writeHead(403).end("<Error><Code>AccessDenied</Code></Error>");
    };
    await withStandInStore(refuse, async ({ key, service }) => {
      expect(await readAll(await service.client.read(key))).toEqual(content);
      expect(service.fallbacks).toEqual([{ kind: "status", status: 403 }]);
      expect(service.serviceReads()).toBe(1);

      // The refused URL is not used again: the next read asks for a new one.
      await readAll(await service.client.read(key));
      expect(service.paths.filter((path) => path.includes("/presign"))).toHaveLength(2);
    });
  });

  it("read through the service when storage ignores the Range header", async () => {
    const ignoreRange = (_: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200, { "content-length": content.length }).end(content);
    };
    await withStandInStore(ignoreRange, async ({ key, service }) => {
      const slice = await readAll(await service.client.read(key, { start: 100, end: 199 }));

      expect(slice).toEqual(content.subarray(100, 200));
      expect(service.fallbacks).toEqual([{ kind: "status", status: 200 }]);
    });
  });

  it("read through the service when storage answers without a Content-Length", async () => {
    const chunked = (_: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200).end(content);
    };
    await withStandInStore(chunked, async ({ key, service }) => {
      expect(await readAll(await service.client.read(key))).toEqual(content);
      expect(service.fallbacks).toEqual([
        { kind: "unreadable", reason: "a body without a Content-Length" },
      ]);
      expect(service.serviceReads()).toBe(1);
    });
  });

  it("read through the service when storage's range is shorter than it says", async () => {
    const shortRange = (_: IncomingMessage, response: ServerResponse) => {
      const headers = { "content-range": `bytes 100-199/${content.length}`, "content-length": 50 };
      response.writeHead(206, headers).end(content.subarray(100, 150));
    };
    await withStandInStore(shortRange, async ({ key, service }) => {
      const slice = await readAll(await service.client.read(key, { start: 100, end: 199 }));

      expect(slice).toEqual(content.subarray(100, 200));
      expect(service.fallbacks).toEqual([
        { kind: "range", contentRange: `bytes 100-199/${content.length}` },
      ]);
    });
  });

  it("read through the service when storage answers another range", async () => {
    const otherRange = (_: IncomingMessage, response: ServerResponse) => {
      const headers = { "content-range": `bytes 0-99/${content.length}` };
      response.writeHead(206, headers).end(content.subarray(0, 100));
    };
    await withStandInStore(otherRange, async ({ key, service }) => {
      const slice = await readAll(await service.client.read(key, { start: 100, end: 199 }));

      expect(slice).toEqual(content.subarray(100, 200));
      expect(service.fallbacks).toEqual([
        { kind: "range", contentRange: `bytes 0-99/${content.length}` },
      ]);
    });
  });

  it("pause after storage cannot be reached, and read through the service meanwhile", async () => {
    const hangUp = (request: IncomingMessage) => request.socket.destroy();
    await withStandInStore(hangUp, async ({ key, service }) => {
      expect(await readAll(await service.client.read(key))).toEqual(content);
      expect(await readAll(await service.client.read(key))).toEqual(content);

      expect(service.fallbacks).toHaveLength(1);
      expect(service.fallbacks[0]).toMatchObject({ kind: "unreachable", pausedForMs: 60_000 });
      expect(service.serviceReads()).toBe(2);
    });
  });
});

whenS3("direct reads from S3", (options) => {
  describe("direct reads from a real S3 server", () => {
    let fixture: ReturnType<typeof s3Fixture>;
    let key: string;

    beforeAll(async () => {
      // Clients are sent to a public name this process cannot reach: reads
      // still go direct, on URLs signed for the endpoint the service uses.
      fixture = s3Fixture({ ...options, publicEndpoint: "http://127.0.0.1:9" });
      key = await storeBlob(fixture.storage, content);
    });
    afterAll(async () => {
      await fixture.storage.close();
      await fixture.removeAll();
    });

    it("give the blob and its ranges without the service reading a byte", async () => {
      const service = await serveDirect(fixture.storage);
      try {
        expect(await readAll(await service.client.read(key))).toEqual(content);
        const slice = await readAll(await service.client.read(key, { start: 10, end: 4095 }));
        expect(slice).toEqual(content.subarray(10, 4096));

        expect(service.serviceReads()).toBe(0);
        expect(service.directReads()).toBe(2);
        expect(service.fallbacks).toEqual([]);
        // One URL, reused for both reads.
        expect(service.paths.filter((path) => path.includes("audience=registry"))).toHaveLength(1);
      } finally {
        await service.stop();
      }
    });

    it("need no presign call for a blob stored through the same client", async () => {
      const redirects = { expiresInSeconds: 300, audience: "clients" } as const;
      const service = await serveDirect(fixture.storage, [redirects]);
      try {
        const committed = await storeBlob(service.client, content);
        const put = await service.client.putBlob(bodyOf(content), digestOf(content));
        expect(Object.keys(put).sort()).toEqual(["digest", "size", "storageKey"]);

        for (const stored of [committed, put.storageKey]) {
          expect(await readAll(await service.client.read(stored))).toEqual(content);
          // The URL a redirecting gateway hands out came with the store answer too.
          const url = await service.client.presignRead(stored, { expiresInSeconds: 300 });
          expect(url?.startsWith("http://127.0.0.1:9/")).toBe(true);
        }
        expect(service.paths.filter((path) => path.includes("/presign"))).toEqual([]);
        expect(service.serviceReads()).toBe(0);
      } finally {
        await service.stop();
      }
    });

    it("answer BlobUnknownError, through the service, once the object is gone", async () => {
      const gone = await storeBlob(fixture.storage, content);
      const service = await serveDirect(fixture.storage);
      try {
        await fixture.storage.delete(gone);

        await expect(service.client.read(gone)).rejects.toThrow(BlobUnknownError);
        expect(service.fallbacks).toEqual([{ kind: "status", status: 404 }]);
      } finally {
        await service.stop();
      }
    });
  });
});
