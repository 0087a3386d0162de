import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";

/** A request body made of the given chunks. */
export function bodyOf(...chunks: (string | Buffer)[]): Readable {
  return Readable.from(chunks.map((chunk) => Buffer.from(chunk)));
}

/** A body that sends `chunks` and then fails, as when a client disconnects mid-upload. */
export function abortedBody(error: Error, ...chunks: (string | Buffer)[]): Readable {
  async function* send() {
    for (const chunk of chunks) yield Buffer.from(chunk);
    throw error;
  }
  return Readable.from(send());
}

/** A body that yields one chunk per macrotask, so that concurrent appends would interleave. */
export function slowBodyOf(...chunks: string[]): Readable {
  async function* send() {
    for (const chunk of chunks) {
      await new Promise((resolve) => setImmediate(resolve));
      yield Buffer.from(chunk);
    }
  }
  return Readable.from(send());
}

/**
 * `size` bytes of pseudo-random content in `chunkSize` chunks, generated on
 * demand from a small pool so that the whole never exists in memory at once.
 * `digest()` answers the sha256 of what was sent, once it has all been read.
 */
export function generatedBody(size: number, chunkSize = 64 * 1024) {
  const pool = randomBytes(2 * 1024 * 1024);
  const hash = createHash("sha256");
  async function* send() {
    for (let sent = 0; sent < size; sent += chunkSize) {
      const at = (sent * 7) % (pool.length - chunkSize);
      // A copy, as a socket would hand over: views of the pool would hide a leak.
      const chunk = Buffer.from(pool.subarray(at, at + Math.min(chunkSize, size - sent)));
      hash.update(chunk);
      yield chunk;
    }
  }
  let digest: string | undefined;
  return {
    body: Readable.from(send()),
    digest: () => {
      digest ??= `sha256:${hash.digest("hex")}`;
      return digest;
    },
  };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
