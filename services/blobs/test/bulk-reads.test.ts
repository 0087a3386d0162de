import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent } from "undici";
import {
  bulkReadConnector,
  MAX_READ_BYTES,
  nextReadBytes,
  SMALL_READ_BYTES,
} from "../src/http/bulk-reads";


const bodies: Record<string, Buffer> = {
  "/large": randomBytes(24 * 1024 * 1024),
  "/small": Buffer.from("a short answer"),
  "/medium": randomBytes(300 * 1024),
};

const KiB = 1024;
const MiB = 1024 * KiB;

let server: Server;
let origin: string;
/** The connections the server accepted, to show keep-alive reuse. */
let accepted = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    const body = bodies[request.url ?? ""];
    if (body === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { "content-length": body.length }).end(body);
  });
  server.on("connection", () => (accepted += 1));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** GETs `path`, pausing `pauseMs` before and within reading; the chunks read. */
async function get(agent: Agent, path: string, pauseMs = 0): Promise<Buffer[]> {
  const answer = await agent.request({ origin, path, method: "GET" });
  expect(answer.statusCode).toBe(200);
  const chunks: Buffer[] = [];
  await sleep(pauseMs);
  for await (const chunk of answer.body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    if (pauseMs > 0 && chunks.length === 4) await sleep(pauseMs);
  }
  return chunks;
}

describe("the size of a connection's next read", () => {
  it("doubles while reads fill their buffer, up to 2 MiB for a few bulk connections", () => {
    const sizes = [SMALL_READ_BYTES];
    for (let i = 0; i < 6; i++) {
      const last = sizes[sizes.length - 1] as number;
      sizes.push(nextReadBytes(last, last, 1));
    }
    expect(sizes).toEqual([64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, 1 * MiB, 2 * MiB, 2 * MiB]);
    expect(nextReadBytes(2 * MiB, 2 * MiB, 4)).toBe(2 * MiB);
  });

  it("shares 8 MiB between many bulk connections, never less than 512 KiB each", () => {
    expect(nextReadBytes(2 * MiB, 2 * MiB, 5)).toBe(1 * MiB);
    expect(nextReadBytes(2 * MiB, 2 * MiB, 8)).toBe(1 * MiB);
    expect(nextReadBytes(1 * MiB, 1 * MiB, 9)).toBe(512 * KiB);
    expect(nextReadBytes(512 * KiB, 512 * KiB, 1000)).toBe(512 * KiB);
  });

  it("halves after a read that took under a quarter, and drops to 64 KiB for a small one", () => {
    expect(nextReadBytes(300 * KiB, 2 * MiB, 1)).toBe(1 * MiB);
    expect(nextReadBytes(600 * KiB, 2 * MiB, 1)).toBe(2 * MiB);
    expect(nextReadBytes(40 * KiB, 2 * MiB, 1)).toBe(SMALL_READ_BYTES);
    expect(nextReadBytes(10, SMALL_READ_BYTES, 1)).toBe(SMALL_READ_BYTES);
  });
});

describe("bulk-reading connector", () => {
  it("reads far more per call than Node's 64 KiB, byte for byte", async () => {
    const { port } = new URL(origin);
    const connect = bulkReadConnector();
    const socket = await new Promise<Socket>((resolve, reject) => {
      connect({ hostname: "127.0.0.1", protocol: "http:", port }, (error, connected) =>
        error ? reject(error) : resolve(connected as Socket),
      );
    });
    // A reader that waits lets the kernel's buffer fill, so that reads find
    // far more than 64 KiB waiting. In flowing mode each chunk is one read.
    socket.pause();
    socket.end("GET /large HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
    await sleep(100);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk)).resume();
    await once(socket, "end");

    const answer = Buffer.concat(chunks);
    const body = answer.subarray(answer.indexOf("\r\n\r\n") + 4);
    const largest = Math.max(...chunks.map((chunk) => chunk.length));
    expect(sha256(body)).toBe(sha256(bodies["/large"] as Buffer));
    // Reads that fill their buffer double it: past the 512 KiB every
    // connection may take, since this one reads alone.
    expect(largest).toBeGreaterThan(512 * KiB);
    expect(largest).toBeLessThanOrEqual(MAX_READ_BYTES);
  });

  it("keeps one connection alive across small and large answers", async () => {
    const agent = new Agent({ connections: 1, connect: bulkReadConnector() });
    const before = accepted;
    try {
      for (const path of ["/small", "/large", "/medium", "/small", "/large"]) {
        const got = Buffer.concat(await get(agent, path));
        expect(sha256(got)).toBe(sha256(bodies[path] as Buffer));
      }
      expect(accepted - before).toBe(1);
    } finally {
      await agent.close();
    }
  });

  it("hands distinct buffers to answers read at once, so none overwrites another", async () => {
    const agent = new Agent({ connections: 4, connect: bulkReadConnector() });
    try {
      const paths = ["/large", "/medium", "/large", "/small", "/medium", "/large"];
      const got = await Promise.all(paths.map((path, i) => get(agent, path, i % 2 === 0 ? 20 : 0)));

      got.forEach((chunks, i) => {
        expect(sha256(Buffer.concat(chunks))).toBe(sha256(bodies[paths[i] as string] as Buffer));
      });
    } finally {
      await agent.close();
    }
  });
});
