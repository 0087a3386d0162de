import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { type Readable, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { isRelayedBody } from "@portfolio/core";
import { MAX_READ_BYTES, MAX_RELAY_READ_BYTES } from "../src/http/bulk-reads";
import { PlainGets } from "../src/http/plain-gets";
import { readAll } from "./bodies";

const large = randomBytes(64 * 1024 * 1024);

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bodyAt(gets: PlainGets, url: URL): Promise<Readable> {
  const { body } = await gets.get(url);
  if (body === undefined) throw new Error("the answer came without its body");
  return body;
}

/**
 * A destination like a slow client's socket: each write completes `delayMs`
 * after it was made, and only then are its bytes taken (hashed), so bytes
 * overwritten before their write completed show in the digest.
 */
function slowDestination(delayMs: number, fail?: (writes: number) => boolean) {
  const digest = createHash("sha256");
  const sizes: number[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sizes.push(chunk.length);
      buffers.add(chunk.buffer);
      if (fail?.(sizes.length)) return callback(new Error("the client went away"));
      setTimeout(() => {
        digest.update(chunk);
        callback();
      }, delayMs);
    },
  });
  return { destination, sizes, buffers, sha256: () => digest.digest("hex") };
}

describe("a body piped before it is read (a relay)", () => {
  let server: Server;
  let origin: string;
  let accepted = 0;
  let gets: PlainGets;

  beforeAll(async () => {
    server = createHttpServer((_request, response) => {
      response.writeHead(200, { "content-length": large.length }).end(large);
    });
    server.on("connection", () => (accepted += 1));
    origin = await listen(server);
  });

  beforeEach(() => {
    gets = new PlainGets({ timeoutMs: 2_000 });
  });

  afterEach(() => gets.close());

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("is marked as one, so that senders do not wrap it", async () => {
    const body = await bodyAt(gets, new URL("/large", origin));
    expect(isRelayedBody(body)).toBe(true);
    body.destroy();
  });

  it("writes every byte intact though writes complete late, reading into few buffers", async () => {
    const body = await bodyAt(gets, new URL("/large", origin));
    const { destination, sizes, buffers, sha256: written } = slowDestination(2);
    body.pipe(destination);
    await finished(destination);

    expect(written()).toBe(sha256(large));
    // Reads grow past what a streamed body reads at once, to 4 MiB at most...
    expect(Math.max(...sizes)).toBeGreaterThan(MAX_READ_BYTES);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_RELAY_READ_BYTES);
    // ...into two buffers, used again and again: new ones only while reads
    // grow (two per size from 64 KiB to 4 MiB), and the head's read.
    expect(buffers.size).toBeLessThanOrEqual(14);
    expect(sizes.length).toBeGreaterThanOrEqual(buffers.size + 8);
  });

  it("relays what storage sent before it was piped, however long that took", async () => {
    const body = await bodyAt(gets, new URL("/large", origin));
    await sleep(100);
    const { destination, sha256: written } = slowDestination(0);
    body.pipe(destination);
    await finished(destination);
    expect(written()).toBe(sha256(large));
  });

  it("ends the destination, and its connection serves the next GET, relayed or read", async () => {
    const before = accepted;
    const first = slowDestination(0);
    (await bodyAt(gets, new URL("/large", origin))).pipe(first.destination);
    await finished(first.destination);
    const read = await readAll(await bodyAt(gets, new URL("/large", origin)));

    expect(first.sha256()).toBe(sha256(large));
    expect(sha256(read)).toBe(sha256(large));
    expect(accepted - before).toBe(1);
  });

  it("does not end a destination that was not to be ended", async () => {
    const { destination } = slowDestination(0);
    const body = await bodyAt(gets, new URL("/large", origin));
    body.pipe(destination, { end: false });
    await finished(body);
    expect(destination.writableEnded).toBe(false);
  });

  it("stops, and closes its connection, when the destination fails", async () => {
    const before = accepted;
    const { destination } = slowDestination(0, (writes) => writes === 3);
    destination.on("error", () => {});
    const body = await bodyAt(gets, new URL("/large", origin));
    body.pipe(destination);
    await expect(finished(body)).rejects.toThrow(/premature close/i);

    await readAll(await bodyAt(gets, new URL("/large", origin)));
    expect(accepted - before).toBe(2);
  });

  it("stops when the destination is destroyed between writes", async () => {
    const { destination } = slowDestination(50);
    const body = await bodyAt(gets, new URL("/large", origin));
    body.pipe(destination);
    setTimeout(() => destination.destroy(), 20);
    await expect(finished(body)).rejects.toThrow(/premature close/i);
  });
});

describe("a relay from a store that misbehaves", () => {
  /** A TCP server answering each request with `answer`; closed after `test`. */
  async function againstStore(
    answer: (socket: Socket) => void,
    timeoutMs: number,
    test: (gets: PlainGets, url: URL) => Promise<void>,
  ): Promise<void> {
    const accepted = new Set<Socket>();
    const server = createNetServer((socket) => {
      accepted.add(socket);
      socket.once("data", () => answer(socket));
      socket.on("error", () => {});
    });
    const url = new URL("/", await listen(server));
    const gets = new PlainGets({ timeoutMs });
    try {
      await test(gets, url);
    } finally {
      gets.close();
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  const head = (length: number) => `HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\n\r\n`;

  it("fails the body, leaving the destination open, when storage cuts the answer short", async () => {
    const cut = (socket: Socket) => {
      socket.write(head(4 * 1024 * 1024));
      socket.end(large.subarray(0, 3 * 1024 * 1024));
    };
    await againstStore(cut, 2_000, async (gets, url) => {
      const { destination } = slowDestination(0);
      const body = await bodyAt(gets, url);
      body.pipe(destination);
      await expect(finished(body)).rejects.toThrow(/1048576 bytes of the body were still to come/);
      expect(destination.writableEnded).toBe(false);
    });
  });

  it("fails once storage goes silent past the deadline", async () => {
    const stall = (socket: Socket) => socket.write(`${head(1000)}some bytes`);
    await againstStore(stall, 300, async (gets, url) => {
      const { destination } = slowDestination(0);
      const body = await bodyAt(gets, url);
      body.pipe(destination);
      await expect(finished(body)).rejects.toThrow(/sent nothing for 300 ms/);
    });
  });

  it("waits for a destination slower than the deadline without timing out", async () => {
    const body = large.subarray(0, 2 * 1024 * 1024);
    const send = (socket: Socket) =>
      socket.write(Buffer.concat([Buffer.from(head(body.length)), body]));
    await againstStore(send, 200, async (gets, url) => {
      const { destination, sizes, sha256: written } = slowDestination(300);
      (await bodyAt(gets, url)).pipe(destination);
      await finished(destination);
      expect(sizes.length).toBeGreaterThan(1);
      expect(written()).toBe(sha256(body));
    });
  });

  it("reuses no connection whose store sent more than the body", async () => {
    let connections = 0;
    const extra = (socket: Socket) => {
      connections += 1;
      socket.write(`${head(5)}12345 and more`);
    };
    await againstStore(extra, 2_000, async (gets, url) => {
      const { destination, sha256: written } = slowDestination(0);
      (await bodyAt(gets, url)).pipe(destination);
      await finished(destination);
      expect(written()).toBe(sha256(Buffer.from("12345")));

      await readAll(await bodyAt(gets, url));
      expect(connections).toBe(2);
    });
  });
});
