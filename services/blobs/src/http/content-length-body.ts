import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { lastSocketError } from "./socket-errors";

/**
 * The next `length` bytes of a socket, as its reads give them. Backpressure
 * pauses the socket, and with it the silence deadline, which only runs while
 * the consumer wants more. Once the last byte is read the socket is handed
 * back (`release(true)`); a body destroyed before then, or one whose socket
 * brought more than `length` bytes, does not give it back for reuse.
 */
export class ContentLengthBody extends Readable {
  private remaining: number;
  private released = false;

  constructor(
    private readonly socket: Socket,
    length: number,
    first: Buffer,
    private readonly timeoutMs: number,
    private readonly release: (reusable: boolean) => void,
  ) {
    // As undici's bodies: what the consumer has not taken yet, at most.
    super({ highWaterMark: 64 * 1024 });
    this.remaining = length;
    socket.on("data", this.onData).on("close", this.onClose).on("timeout", this.onTimeout);
    if (length === 0 || first.length > 0) this.onData(first);
  }

  override _read(): void {
    if (this.released) return;
    this.socket.setTimeout(this.timeoutMs);
    this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.finish(false);
    callback(error);
  }

  private readonly onData = (chunk: Buffer): void => {
    const extra = chunk.length > this.remaining;
    const bytes = extra ? chunk.subarray(0, this.remaining) : chunk;
    this.remaining -= bytes.length;
    const wantsMore = bytes.length === 0 || this.push(bytes);
    if (this.remaining === 0) {
      this.finish(!extra);
      this.push(null);
    } else if (!wantsMore) {
      this.socket.pause();
      this.socket.setTimeout(0);
    }
  };

  private readonly onClose = (): void => {
    const cause = lastSocketError(this.socket);
    const missing = `${this.remaining} bytes of the body were still to come`;
    const what = cause?.message ?? "storage closed the connection";
    this.destroy(new Error(`${what}; ${missing}`, { cause }));
  };

  private readonly onTimeout = (): void => {
    this.socket.destroy(new Error(`storage sent nothing for ${this.timeoutMs} ms`));
  };

  /** Lets go of the socket: for the next GET when the body was read whole, else closed. */
  private finish(whole: boolean): void {
    if (this.released) return;
    this.released = true;
    this.socket.off("data", this.onData).off("close", this.onClose).off("timeout", this.onTimeout);
    this.release(whole);
  }
}
