import type { Hash } from "node:crypto";
import type { Readable } from "node:stream";

/**
 * Counts an upload body's bytes and feeds them to the running hash. Past
 * `limit` it keeps reading but yields nothing more, so that a client sending
 * more than it announced neither fills storage nor has its request torn down
 * before it can be answered.
 */
export class MeteredBody {
  /** Bytes received so far, including any swallowed past the limit. */
  bytes = 0;

  constructor(
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly hash?: Hash,
  ) {}

  async *chunks(body: Readable): AsyncGenerator<Buffer> {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      this.bytes += chunk.length;
      if (this.bytes > this.limit) continue;
      this.hash?.update(chunk);
      yield chunk;
    }
  }
}
