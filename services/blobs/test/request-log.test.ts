import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { BlobServer, FilesystemBlobStorage } from "@portfolio/blobs";
import type { BlobStorage, StoredObject } from "@portfolio/core";
import pino from "pino";

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [field: string]: unknown;
}

const INFO = 30;
const ERROR = 50;

/** A blob service on 127.0.0.1:0 over `storage`, whose log lines are kept, parsed. */
async function startService(storage: BlobStorage) {
  const lines: LogLine[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = new BlobServer({ storage, logger });
  const url = await server.listen(0, "127.0.0.1");
  return { server, url, lines };
}

/** The lines of one request, once its request line has been written. */
async function linesOf(lines: LogLine[], reqId: string): Promise<LogLine[]> {
  const mine = () => lines.filter((line) => line.reqId === reqId);
  for (let i = 0; i < 200 && !mine().some((line) => "status" in line); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return mine();
}

/** A storage stream that sends one chunk, then fails with `error` or, without one, stalls. */
function oneChunkThen(error?: Error): Readable {
  async function* send() {
    yield Buffer.alloc(64 * 1024, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (error) throw error;
    await new Promise(() => undefined);
  }
  return Readable.from(send());
}

/** Storage whose blobs all read as `stream()`; nothing else is asked of it here. */
function storageReading(stream: () => Readable, extra: Partial<BlobStorage> = {}): BlobStorage {
  return { read: async () => stream(), close: async () => undefined, ...extra } as BlobStorage;
}

/** GETs `path`, resolving with the response once its head and first bytes have arrived. */
function getFirstBytes(url: string, path: string, reqId: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(path, url), { headers: { "x-request-id": reqId } });
    request.on("response", (response) => response.once("data", () => resolve(response)));
    request.on("error", reject);
    request.end();
  });
}

describe("the blob service's request log", () => {
  let service: Awaited<ReturnType<typeof startService>>;
  afterEach(() => service.server.close());

  it("writes one line with the gateway's field names: method, url, status, ms", async () => {
    service = await startService(storageReading(() => Readable.from([Buffer.from("bytes")])));

    const response = await fetch(`${service.url}/blobs/key`, { headers: { "x-request-id": "ok" } });
    expect(await response.text()).toBe("bytes");

    const lines = await linesOf(service.lines, "ok");
    expect(lines).toEqual([
      expect.objectContaining({ level: INFO, msg: "request completed", status: 200 }),
    ]);
    expect(lines[0]).toMatchObject({ method: "GET", url: "/blobs/key", ms: expect.any(Number) });
    expect(lines[0]).not.toHaveProperty("statusCode");
    expect(lines[0]).not.toHaveProperty("responseTime");
  });

  it("logs a refusal at info with its kind, and a failure at error with its err", async () => {
    const ping = async () => {
      throw new Error("disk on fire");
    };
    service = await startService(storageReading(() => Readable.from([]), { ping }));

    const refused = await fetch(`${service.url}/uploads/x/commit`, {
      method: "POST",
      headers: { "x-request-id": "refused" },
    });
    const failed = await fetch(`${service.url}/readyz`, { headers: { "x-request-id": "failed" } });
    expect([refused.status, failed.status]).toEqual([400, 500]);

    expect(await linesOf(service.lines, "refused")).toEqual([
      expect.objectContaining({ level: INFO, status: 400, kind: "invalid-argument" }),
    ]);
    expect(await linesOf(service.lines, "failed")).toEqual([
      expect.objectContaining({
        level: ERROR,
        msg: "request completed",
        status: 500,
        err: expect.objectContaining({ message: "disk on fire" }),
      }),
    ]);
  });

  it("logs a download the client leaves mid-body as 499 at info, not as 200", async () => {
    service = await startService(storageReading(() => oneChunkThen()));

    const response = await getFirstBytes(service.url, "/blobs/key", "left");
    response.destroy();

    expect(await linesOf(service.lines, "left")).toEqual([
      expect.objectContaining({
        level: INFO,
        msg: "request aborted by the client",
        method: "GET",
        status: 499,
      }),
    ]);
  });

  it("logs a download the storage fails mid-body as 500 at error, with its error", async () => {
    const storageError = new Error("connection to S3 reset");
    service = await startService(storageReading(() => oneChunkThen(storageError)));

    const response = await getFirstBytes(service.url, "/blobs/key", "broken");
    const complete = new Promise((resolve) =>
      response.on("close", () => resolve(response.complete)),
    );
    response.on("error", () => undefined).resume();
    await expect(complete).resolves.toBe(false);

    expect(await linesOf(service.lines, "broken")).toEqual([
      expect.objectContaining({
        level: ERROR,
        msg: "response cut short",
        status: 500,
        err: expect.objectContaining({ message: "connection to S3 reset" }),
      }),
    ]);
  });

  it("logs a listing the storage fails mid-stream as 500 at error", async () => {
    async function* listObjects(): AsyncIterable<StoredObject> {
      yield { kind: "blob", key: "a", size: 1, modifiedAt: new Date() };
      throw new Error("listing failed");
    }
    service = await startService(storageReading(() => Readable.from([]), { listObjects }));

    const response = await fetch(`${service.url}/objects`, {
      headers: { "x-request-id": "listing" },
    });
    await expect(response.text()).rejects.toThrow();

    expect(await linesOf(service.lines, "listing")).toEqual([
      expect.objectContaining({ level: ERROR, msg: "response cut short", status: 500 }),
    ]);
  });

  describe("over the filesystem driver", () => {
    let root: string;
    let driver: FilesystemBlobStorage;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), "portfolio-blobs-log-"));
      driver = await FilesystemBlobStorage.open(root);
    });
    afterEach(async () => {
      await driver.close();
      await rm(root, { recursive: true, force: true });
    });

    it("logs an append the client leaves mid-body as 499 at info", async () => {
      service = await startService(driver);
      const uploadId = randomUUID();
      await fetch(`${service.url}/uploads/${uploadId}`, { method: "POST" });

      const append = httpRequest(new URL(`/uploads/${uploadId}`, service.url), {
        method: "PATCH",
        headers: { "content-length": 1_000_000, "x-request-id": "append-left" },
      });
      append.on("error", () => undefined);
      // The service must have the request before the client leaves; a sleep alone does not
      // ensure that: after a long pause the timer runs before the connection is even made.
      const arrived = once(service.server.server, "request");
      append.write(Buffer.alloc(10_000));
      await arrived;
      await new Promise((resolve) => setTimeout(resolve, 100));
      append.destroy();

      expect(await linesOf(service.lines, "append-left")).toEqual([
        expect.objectContaining({ level: INFO, method: "PATCH", status: 499 }),
      ]);
      expect(await driver.uploadSize(uploadId)).toBe(0);
    });
  });
});
