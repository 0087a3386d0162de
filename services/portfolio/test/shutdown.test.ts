import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FilesystemBlobStorage } from "@portfolio/blobs";
import { buildGateway } from "@portfolio/gateway";
import { openEmbeddedDatabase, PrismaMetadataStore } from "@portfolio/metadata";
import type { FastifyInstance } from "fastify";
import pino from "pino";

const logger = pino({ level: "silent" });
const blob = randomBytes(8 * 1024 * 1024);
const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;

describe("a gateway shutting down", () => {
  let dataDir: string;
  let metadata: PrismaMetadataStore;
  let storage: FilesystemBlobStorage;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-shutdown-"));
    metadata = new PrismaMetadataStore(await openEmbeddedDatabase(path.join(dataDir, "db")));
    storage = await FilesystemBlobStorage.open(path.join(dataDir, "blobs"));
  });

  beforeEach(async () => {
    app = buildGateway({ backends: { metadata, storage }, logger });
    port = Number(new URL(await app.listen({ host: "127.0.0.1", port: 0 })).port);
    const pushed = await fetch(`http://127.0.0.1:${port}/v2/a/b/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      body: blob,
    });
    expect(pushed.status).toBe(201);
  });

  afterEach(() => app.close());

  afterAll(async () => {
    await metadata.close();
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function connected(): Promise<Socket> {
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    return socket;
  }

  it("ends connections that never sent a request instead of waiting for them", async () => {
    const silent = await connected();
    const closed = once(silent, "close");

    const started = Date.now();
    await app.close();
    await closed;
    // Node alone waits for the headers up to headersTimeout (60 s).
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("lets a pull in flight finish, however slowly its client reads", async () => {
    const puller = await connected();
    puller.pause();
    puller.write(`GET /v2/a/b/blobs/${digest} HTTP/1.1\r\nhost: test\r\n\r\n`);
    await sleep(200);

    let stopped = false;
    const stopping = app.close().then(() => (stopped = true));
    await sleep(500);
    expect(stopped).toBe(false);

    const chunks: Buffer[] = [];
    puller.on("data", (chunk: Buffer) => chunks.push(chunk)).resume();
    await stopping;
    await once(puller, "close");
    const answer = Buffer.concat(chunks);
    const body = answer.subarray(answer.indexOf("\r\n\r\n") + 4);
    expect(answer.subarray(0, 15).toString()).toBe("HTTP/1.1 200 OK");
    expect(body.equals(blob)).toBe(true);
  });
});
