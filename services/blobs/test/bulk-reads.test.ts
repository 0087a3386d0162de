import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  bulkOnRead,
  MAX_READ_BYTES,
  MAX_RELAY_READ_BYTES,
  nextReadBytes,
  relayReads,
  SMALL_READ_BYTES,
} from "../src/http/bulk-reads";
import { PlainGets } from "../src/http/plain-gets";

const bodies: Record<string, Buffer> = {
  "/large": randomBytes(24 * 1024 * 1024),
  "/small": Buffer.from("a short answer"),
  "/medium": randomBytes(300 * 1024),
};

const KiB = 1024;
const MiB = 1024 * KiB;

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const body = bodies[request.url ?? ""];
    if (body === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { "content-length": body.length }).end(body);
  });
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
async function get(gets: PlainGets, path: string, pauseMs = 0): Promise<Buffer[]> {
  const answer = await gets.get(new URL(path, origin));
  expect(answer.statusCode).toBe(200);
  const chunks: Buffer[] = [];
  await sleep(pauseMs);
  if (answer.body === undefined) throw new Error(`${path} came without its body`);
  for await (const chunk of answer.body) {
    chunks.push(chunk as Buffer);
    if (pauseMs > 0 && chunks.length === 4) await sleep(pauseMs);
  }
  return chunks;
}

describe("the size of a connection's next read", () => {
  it("doubles while reads fill their buffer, up to 1 MiB for a few bulk connections", () => {
    const sizes = [SMALL_READ_BYTES];
    for (let i = 0; i < 5; i++) {
      const last = sizes[sizes.length - 1] as number;
      sizes.push(nextReadBytes(last, last, 1));
    }
    expect(sizes).toEqual([64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, 1 * MiB, 1 * MiB]);
    expect(MAX_READ_BYTES).toBe(1 * MiB);
  });

  it("shares 8 MiB between many bulk connections, never less than 512 KiB each", () => {
    expect(nextReadBytes(1 * MiB, 1 * MiB, 8)).toBe(1 * MiB);
    expect(nextReadBytes(1 * MiB, 1 * MiB, 9)).toBe(512 * KiB);
    expect(nextReadBytes(512 * KiB, 512 * KiB, 1000)).toBe(512 * KiB);
  });

  it("lets relays grow to 4 MiB, four of them at once, sharing 32 MiB in pairs of buffers", () => {
    expect(MAX_RELAY_READ_BYTES).toBe(4 * MiB);
    expect(nextReadBytes(2 * MiB, 2 * MiB, 1, true)).toBe(4 * MiB);
    expect(nextReadBytes(4 * MiB, 4 * MiB, 4, true)).toBe(4 * MiB);
    expect(nextReadBytes(4 * MiB, 4 * MiB, 5, true)).toBe(2 * MiB);
    expect(nextReadBytes(4 * MiB, 4 * MiB, 17, true)).toBe(512 * KiB);
    expect(nextReadBytes(4 * MiB, 4 * MiB, 1000, true)).toBe(512 * KiB);
  });

  it("halves after a read that took under a quarter, and drops to 64 KiB for a small one", () => {
    expect(nextReadBytes(200 * KiB, 1 * MiB, 1)).toBe(512 * KiB);
    expect(nextReadBytes(600 * KiB, 1 * MiB, 1)).toBe(1 * MiB);
    expect(nextReadBytes(40 * KiB, 1 * MiB, 1)).toBe(SMALL_READ_BYTES);
    expect(nextReadBytes(10, SMALL_READ_BYTES, 1)).toBe(SMALL_READ_BYTES);
  });
});

describe("bulk reads", () => {
  it("read far more per call than Node's 64 KiB, byte for byte", async () => {
    const { port } = new URL(origin);
    const socket = connect({ host: "127.0.0.1", port: Number(port), onread: bulkOnRead() });
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

  it("hand distinct buffers to answers read at once, so none overwrites another", async () => {
    const gets = new PlainGets();
    try {
      const paths = ["/large", "/medium", "/large", "/small", "/medium", "/large"];
      const got = await Promise.all(paths.map((path, i) => get(gets, path, i % 2 === 0 ? 20 : 0)));

      got.forEach((chunks, i) => {
        expect(sha256(Buffer.concat(chunks))).toBe(sha256(bodies[paths[i] as string] as Buffer));
      });
    } finally {
      gets.close();
    }
  });

  it("end a relayed socket whose sink throws, with the sink's error", async () => {
    const { port } = new URL(origin);
    const socket = connect({ host: "127.0.0.1", port: Number(port), onread: bulkOnRead() });
    relayReads(socket, () => {
      throw new Error("the sink failed");
    });
    socket.write("GET /large HTTP/1.1\r\nhost: test\r\n\r\n");
    const [error] = await once(socket, "error");
    expect((error as Error).message).toBe("the sink failed");
    expect(socket.destroyed).toBe(true);
  });
});
