import type { Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

export interface ByteMeterOptions {
  /** Bytes expected; once more arrive, the meter keeps counting but passes nothing on. */
  limit?: number;
  /** Updated with every byte passed on. */
  hash?: Hash;
}

/**
 * Counts the bytes of an upload body on their way to storage and feeds them to
 * the upload's running digest. Past `limit` it swallows the rest of the body,
 * so that a client sending more than it announced neither fills the disk nor
 * has its request torn down before it can be answered.
 */
export class ByteMeter extends Transform {
  /** Bytes received so far, including any swallowed past the limit. */
  bytes = 0;

  constructor(private readonly options: ByteMeterOptions = {}) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const withinLimit = this.bytes <= (this.options.limit ?? Number.POSITIVE_INFINITY);
    if (withinLimit) this.options.hash?.update(chunk);
    callback(null, withinLimit ? chunk : undefined);
  }
}
