import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { BlobServer, FilesystemBlobStorage, HttpBlobStorage } from "@portfolio/blobs";
import {
  BackendUnavailableError,
  type BlobStorage,
  BlobUnknownError,
  digestOf,
} from "@portfolio/core";
import pino from "pino";
import { serveBlobs } from "./blob-service";
import { bodyOf, readAll } from "./bodies";
import { describeBlobStorage } from "./driver-suite";

const silent = pino({ level: "silent" });

/** A blob service on 127.0.0.1:0 over a filesystem driver in `root`, and a client for it. */
async function startService(root: string) {
  const driver = await FilesystemBlobStorage.open(root);
  const server = new BlobServer({ storage: driver, logger: silent });
  const url = await server.listen(0, "127.0.0.1");
  const client = new HttpBlobStorage({ url });
  return {
    server,
    client,
    driver,
    async stop() {
      await client.close();
      await server.close();
      await driver.close();
    },
  };
}

describeBlobStorage("HTTP service over filesystem", async () => {
  const root = await mkdtemp(join(tmpdir(), "portfolio-blobs-http-"));
  const service = await startService(root);
  return {
    storage: service.client,
    async cleanup() {
      await service.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
});

/** A body that sends `first`, then waits until `release` is called before failing to end. */
function stalledBody(first: string) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* send() {
    yield Buffer.from(first);
    await released;
  }
  return { body: Readable.from(send()), release };
}

describe("HTTP blob service across failures", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "portfolio-blobs-http-"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("resumes an upload after the service dies mid-append and restarts", async () => {
    const first = await startService(root);
    const uploadId = randomUUID();
    await first.client.createUpload(uploadId);
    await first.client.appendUpload(uploadId, bodyOf("before "));
    const stalled = stalledBody("lost bytes");

    const arrived = requestUnderWay(first.server, "PATCH");
    const append = first.client.appendUpload(uploadId, stalled.body, { offset: 7 });
    await arrived;
    first.server.server.closeAllConnections();

    await expect(append).rejects.toBeInstanceOf(BackendUnavailableError);
    stalled.release();
    await first.stop();
    const second = await startService(root);
    const resumeAt = await second.client.uploadSize(uploadId);
    expect(resumeAt).toBe(7);
    await second.client.appendUpload(uploadId, bodyOf("after"), { offset: 7 });
    const blob = await second.client.commitUpload(uploadId, digestOf(Buffer.from("before after")));
    expect(blob.size).toBe(12);
    expect((await readAll(await second.client.read(blob.storageKey))).toString()).toBe(
      "before after",
    );
    await second.stop();
  });

  it("answers BackendUnavailableError when nothing listens", async () => {
    const service = await startService(root);
    await service.stop();
    const client = new HttpBlobStorage({ url: `http://127.0.0.1:${portOf(service.server)}` });

    await expect(client.uploadSize(randomUUID())).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(client.ping()).rejects.toBeInstanceOf(BackendUnavailableError);
    await client.close();
  });

  it("reports the driver's own errors with their fields intact", async () => {
    const service = await startService(root);
    const storageKey = randomUUID();

    await expect(service.client.read(storageKey)).rejects.toEqual(new BlobUnknownError(storageKey));
    await service.stop();
  });
});

function portOf(server: BlobServer): number {
  const address = server.server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** Resolves a little after a request with `method` reached the server, its body under way. */
function requestUnderWay(server: BlobServer, method: string): Promise<void> {
  return new Promise((resolve) => {
    server.server.on("request", (request: IncomingMessage) => {
      if (request.method === method) setTimeout(resolve, 50);
    });
  });
}

describe("the minimum chunk length over HTTP", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "portfolio-blobs-http-"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** The filesystem driver, declaring the minimum S3 multipart parts have. */
  async function driverWithMinimum(minimumChunkLength: number | undefined): Promise<BlobStorage> {
    const driver = await FilesystemBlobStorage.open(root);
    return new Proxy(driver, {
      get(target, key) {
        if (key === "minimumChunkLength") return minimumChunkLength;
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  async function clientOf(storage: BlobStorage) {
    const service = await serveBlobs(storage);
    return {
      ...service,
      async stop() {
        await service.stop();
        await storage.close();
      },
    };
  }

  it("is the service's driver's, from the first answer on, failures included", async () => {
    const service = await clientOf(await driverWithMinimum(8 * 1024 * 1024));
    expect(service.client.minimumChunkLength).toBeUndefined();

    await service.client.createUpload(randomUUID());
    expect(service.client.minimumChunkLength).toBe(8 * 1024 * 1024);

    const other = new HttpBlobStorage({ url: `http://127.0.0.1:${portOf(service.server)}` });
    await expect(other.read(randomUUID())).rejects.toBeInstanceOf(BlobUnknownError);
    expect(other.minimumChunkLength).toBe(8 * 1024 * 1024);
    await other.close();
    await service.stop();
  });

  it("is absent when the service's driver takes chunks of any size", async () => {
    const service = await clientOf(await driverWithMinimum(undefined));

    await service.client.ping();

    expect(service.client.minimumChunkLength).toBeUndefined();
    await service.stop();
  });
});
