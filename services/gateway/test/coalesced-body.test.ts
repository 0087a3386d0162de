import { once } from "node:events";
import { PassThrough, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { relaysItself } from "@portfolio/core";
import { coalesced } from "../src/http/coalesced-body";

const chunk = (n: number, size = 1024) => Buffer.alloc(size, n % 256);

/** Collects what reaches it, noting the turn of the event loop each write came in. */
function recorder(options: { highWaterMark?: number; delayMs?: number } = {}) {
  const writes: Array<{ turn: number; bytes: Buffer }> = [];
  let turn = 0;
  const ticker = setInterval(() => turn++, 0);
  const sink = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    write(bytes: Buffer, _encoding, callback) {
      writes.push({ turn, bytes });
      if (options.delayMs === undefined) callback();
      else setTimeout(callback, options.delayMs);
    },
    final(callback) {
      clearInterval(ticker);
      callback();
    },
    destroy(error, callback) {
      clearInterval(ticker);
      callback(error);
    },
  });
  return { sink, writes, bytes: () => Buffer.concat(writes.map((w) => w.bytes)) };
}

describe("coalesced blob body", () => {
  it("leaves a body that relays itself as it is, for its own pipe to send", () => {
    const relayed = Object.assign(new PassThrough(), { [relaysItself]: true });
    const plain = new PassThrough();

    expect(coalesced(relayed)).toBe(relayed);
    expect(coalesced(plain)).not.toBe(plain);
  });

  it("hands on every byte, in order", async () => {
    const chunks = Array.from({ length: 300 }, (_, i) => chunk(i, 1000 + i));
    const { sink, bytes } = recorder();

    await pipeline(coalesced(Readable.from(chunks)), sink);

    expect(bytes().equals(Buffer.concat(chunks))).toBe(true);
  });

  it("hands on the chunks a source gave in one turn in one synchronous run", async () => {
    const source = new PassThrough();
    const body = coalesced(source);
    // A run of data events ends when the microtask queue gets to run; Node's
    // HTTP response sends what was written during a run with one writev.
    let runs = 0;
    let inRun = false;
    let received = 0;
    body.on("data", () => {
      received++;
      if (inRun) return;
      runs++;
      inRun = true;
      queueMicrotask(() => {
        inRun = false;
      });
    });

    // Like a socket read eight times in one turn: each chunk in a callback of its own.
    for (let i = 0; i < 8; i++) setImmediate(() => source.write(chunk(i)));
    // Until the first chunk's run is over and the loop has turned once more.
    // (A timer would be load-dependent: after a long pause, Node runs due
    // timers before the immediates of the same turn.)
    await once(body, "data");
    await new Promise(setImmediate);

    expect(received).toBe(8);
    expect(runs).toBe(1);
    source.end();
    await once(body, "end");
  });

  it("pauses its source while the consumer is behind, and after 1 MiB in one turn", async () => {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        if (produced === 512) return this.push(null);
        produced++;
        this.push(chunk(produced, 64 * 1024));
      },
    });
    const { sink, writes } = recorder({ highWaterMark: 64 * 1024, delayMs: 1 });
    const body = coalesced(source);
    let mostAhead = 0;
    body.on("data", () => {
      mostAhead = Math.max(mostAhead, produced - writes.length);
    });

    await pipeline(body, sink);

    expect(writes).toHaveLength(512);
    // 32 MiB went through a consumer writing 64 KiB per millisecond; the
    // producer was never more than a few MiB ahead of it.
    expect(mostAhead).toBeLessThan(64);
  });

  it("fails when its source fails or ends early; destroyed, destroys its source", async () => {
    const failing = new PassThrough();
    const body = coalesced(failing);
    body.resume();
    failing.destroy(new Error("storage hung up"));
    const [error] = await once(body, "error");
    expect((error as Error).message).toBe("storage hung up");

    const closed = new PassThrough();
    const cutShort = coalesced(closed);
    cutShort.resume();
    closed.destroy();
    const [premature] = await once(cutShort, "error");
    expect((premature as NodeJS.ErrnoException).code).toBe("ERR_STREAM_PREMATURE_CLOSE");

    const source = new PassThrough();
    const abandoned = coalesced(source);
    abandoned.resume();
    abandoned.destroy();
    await once(source, "close");
    expect(source.destroyed).toBe(true);
  });
});
