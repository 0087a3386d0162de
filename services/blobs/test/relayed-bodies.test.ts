import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect, createServer as createNetServer, type Socket } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { isRelayedBody } from "@portfolio/core";
import { MAX_READ_BYTES, MAX_RELAY_READ_BYTES } from "../src/http/bulk-reads";
import type { PlainGets } from "../src/http/plain-gets";
import { readAll } from "./bodies";
import { againstStore, answerBody, httpStore, listen, sha256 } from "./stand-in-stores";

const large = randomBytes(64 * 1024 * 1024);

async function bodyAt(gets: PlainGets, url: URL): Promise<Readable> {
  return answerBody(await gets.get(url));
}

/** Receivers' sockets, closed after each test. */
const receivers = new Set<{ close(): void }>();

afterEach(() => {
  for (const receiver of receivers) receiver.close();
  receivers.clear();
});

/**
 * A socket to a receiver that pauses `pauseMs` after each chunk it reads (or
 * only after the first, when `once`), as a slow client does: writes to the
 * socket complete only as it reads, and bytes overwritten before their write
 * completed show in its digest. Notes the size and buffer of each chunk
 * written to the socket.
 */
async function slowReceiver(pauseMs: number, { once: onlyOnce = false } = {}) {
  const digest = createHash("sha256");
  let chunks = 0;
  const server = createNetServer((socket) => {
    socket.on("data", (chunk: Buffer) => {
      digest.update(chunk);
      chunks += 1;
      if (pauseMs === 0 || (onlyOnce && chunks > 1)) return;
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
    socket.on("error", () => {});
    accepted.push(socket);
  });
  const accepted: Socket[] = [];
  const { port } = new URL(await listen(server));
  const destination = connect({ host: "127.0.0.1", port: Number(port) });
  await once(destination, "connect");
  while (accepted.length === 0) await sleep(1);
  const receiving = accepted[0] as Socket;
  const sizes: number[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const write = destination.write.bind(destination) as (...args: unknown[]) => boolean;
  destination.write = ((chunk: Buffer, ...rest: unknown[]) => {
    sizes.push(chunk.length);
    buffers.add(chunk.buffer);
    return write(chunk, ...rest);
  }) as typeof destination.write;
  const receiver = {
    destination,
    /** The receiving end, to cut the connection from. */
    receiving,
    sizes,
    buffers,
    /** The digest of all received, once the destination was ended. */
    received: async () => {
      if (!receiving.readableEnded) await once(receiving, "end");
      return digest.digest("hex");
    },
    close: () => {
      destination.destroy();
      server.close();
      for (const socket of accepted) socket.destroy();
    },
  };
  receivers.add(receiver);
  return receiver;
}

describe("a body piped to a socket before it is read (a relay)", () => {
  const store = httpStore((request, response) => {
    const size = Number(new URL(request.url ?? "/", "http://x").searchParams.get("size"));
    const body = size > 0 ? large.subarray(0, size) : large;
    response.writeHead(200, { "content-length": body.length }).end(body);
  });

  it("is marked as one, so that senders do not wrap it", async () => {
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    expect(isRelayedBody(body)).toBe(true);
    body.destroy();
  });

  it("writes every byte intact to a slow client, reading into few buffers", async () => {
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    const receiver = await slowReceiver(2);
    body.pipe(receiver.destination);

    expect(await receiver.received()).toBe(sha256(large));
    const { sizes, buffers } = receiver;
    // Reads grow past what a streamed body reads at once, to 4 MiB at most...
    expect(Math.max(...sizes)).toBeGreaterThan(MAX_READ_BYTES);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_RELAY_READ_BYTES);
    // ...into two buffers, used again and again: new ones only while reads
    // grow (two per size from 64 KiB to 4 MiB), and the head's read.
    expect(buffers.size).toBeLessThanOrEqual(14);
    expect(sizes.length).toBeGreaterThanOrEqual(buffers.size + 8);
  });

  it("relays what storage sent before it was piped, however long that took", async () => {
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    await sleep(100);
    const receiver = await slowReceiver(0);
    body.pipe(receiver.destination);
    expect(await receiver.received()).toBe(sha256(large));
  });

  it("ends the destination, and its connection serves the next GET, relayed or read", async () => {
    const before = store.accepted;
    const receiver = await slowReceiver(0);
    (await bodyAt(store.gets, new URL("/large", store.origin))).pipe(receiver.destination);
    const relayed = await receiver.received();
    const read = await readAll(await bodyAt(store.gets, new URL("/large", store.origin)));

    expect(relayed).toBe(sha256(large));
    expect(sha256(read)).toBe(sha256(large));
    expect(store.accepted - before).toBe(1);
  });

  it("does not end a destination that was not to be ended", async () => {
    const { destination } = await slowReceiver(0);
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    body.pipe(destination, { end: false });
    await finished(body);
    expect(destination.writableEnded).toBe(false);
  });

  it("stops, and closes its connection, when the client goes away", async () => {
    const before = store.accepted;
    const receiver = await slowReceiver(5);
    receiver.destination.on("error", () => {});
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    body.pipe(receiver.destination);
    setTimeout(() => receiver.receiving.destroy(), 30);
    await expect(finished(body)).rejects.toThrow(/premature close/i);

    await readAll(await bodyAt(store.gets, new URL("/large", store.origin)));
    expect(store.accepted - before).toBe(2);
  });

  it("stops when the destination is destroyed between writes", async () => {
    const { destination } = await slowReceiver(50);
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    body.pipe(destination);
    setTimeout(() => destination.destroy(), 20);
    await expect(finished(body)).rejects.toThrow(/premature close/i);
    expect(destination.listenerCount("close")).toBe(0);
  });

  it("is one destination's only: a second pipe throws, unpiping destroys it", async () => {
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    const { destination } = await slowReceiver(0);
    body.pipe(destination);
    expect(() => body.pipe(new PassThrough())).toThrow(/one destination/);
    body.unpipe(destination);
    expect(body.destroyed).toBe(true);
  });

  it("pipes as any stream into a destination that is not a socket, bytes intact", async () => {
    // A transform calls a write back while the chunk still waits in its queue.
    const body = await bodyAt(store.gets, new URL("/large", store.origin));
    const passThrough = new PassThrough();
    body.pipe(passThrough);
    await sleep(200);
    expect(sha256(await readAll(passThrough))).toBe(sha256(large));
  });

  it("leaves the socket it handed back to the next GET alone when read late", async () => {
    // A body that comes whole with its head hands its socket back at once...
    const small = new URL("/?size=1000", store.origin);
    const early = await bodyAt(store.gets, small);
    // ...and the next GET, relayed, takes that socket.
    const before = store.accepted;
    const next = await bodyAt(store.gets, new URL("/large", store.origin));
    const receiver = await slowReceiver(1);
    next.pipe(receiver.destination);
    await sleep(20);

    expect(sha256(await readAll(early))).toBe(sha256(large.subarray(0, 1000)));
    expect(await receiver.received()).toBe(sha256(large));
    expect(store.accepted).toBe(before);
  });
});

describe("a relay from a store that misbehaves", () => {
  const head = (length: number) => `HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\n\r\n`;

  it("fails the body, destination left open, when storage cuts the answer short", async () => {
    const cut = (socket: Socket) => {
      socket.write(head(4 * 1024 * 1024));
      socket.end(large.subarray(0, 3 * 1024 * 1024));
    };
    await againstStore(cut, { timeoutMs: 2_000 }, async ({ gets, url }) => {
      const { destination } = await slowReceiver(0);
      const body = await bodyAt(gets, url);
      body.pipe(destination);
      await expect(finished(body)).rejects.toThrow(/1048576 bytes of the body were still to come/);
      expect(destination.writableEnded).toBe(false);
    });
  });

  it("fails once storage goes silent past the deadline", async () => {
    const stall = (socket: Socket) => socket.write(`${head(1000)}some bytes`);
    await againstStore(stall, { timeoutMs: 300 }, async ({ gets, url }) => {
      const { destination } = await slowReceiver(0);
      const body = await bodyAt(gets, url);
      body.pipe(destination);
      await expect(finished(body)).rejects.toThrow(/sent nothing for 300 ms/);
    });
  });

  it("waits for a client slower than the deadline without timing out", async () => {
    // More than the kernel's buffers hold, so that a write waits for the client.
    const body = large;
    const send = (socket: Socket) =>
      socket.write(Buffer.concat([Buffer.from(head(body.length)), body]));
    await againstStore(send, { timeoutMs: 200 }, async ({ gets, url }) => {
      const receiver = await slowReceiver(600, { once: true });
      (await bodyAt(gets, url)).pipe(receiver.destination);
      expect(await receiver.received()).toBe(sha256(body));
    });
  });

  it("reuses no connection whose store sent more than the body", async () => {
    const extra = (socket: Socket) => socket.write(`${head(5)}12345 and more`);
    await againstStore(extra, { timeoutMs: 2_000 }, async ({ gets, url, connections }) => {
      const receiver = await slowReceiver(0);
      (await bodyAt(gets, url)).pipe(receiver.destination);
      expect(await receiver.received()).toBe(sha256(Buffer.from("12345")));

      await readAll(await bodyAt(gets, url));
      expect(connections()).toBe(2);
    });
  });
});
