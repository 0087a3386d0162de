import { OutgoingMessage } from "node:http";
import { Socket } from "node:net";
import { finished, Readable } from "node:stream";
import { relaysItself } from "@portfolio/core";
import { relayReads } from "./bulk-reads";
import { lastSocketError } from "./socket-errors";

/** Bytes of the body read before anyone took them, with what gives their buffer back. */
interface Held {
  bytes: Buffer;
  done: () => void;
  /** Whether they end the body. */
  last: boolean;
}

/**
 * The next `length` bytes of a socket. Until the body is read, its bytes are
 * counted off as they come and held, and the socket pauses. Read as a stream,
 * it hands on the socket's reads as they come, and backpressure pauses the
 * socket, and with it the silence deadline, which only runs while the
 * consumer wants more. Piped before that, it relays instead (see `pipe`).
 * Once the last byte is in, the socket is handed back (`release(true)`); a
 * body destroyed before then, or one whose socket brought more than `length`
 * bytes, does not give it back for reuse.
 */
export class ContentLengthBody extends Readable {
  readonly [relaysItself] = true;
  private remaining: number;
  private released = false;
  private mode: "waiting" | "streamed" | "relayed" = "waiting";
  private held: Held[] = [];
  /** A relay's writes, where the socket's reads go once it has begun. */
  private sendHeld: ((chunk: Held) => void) | undefined;
  /** Stops a relay watching its destination close. */
  private stopWatching: (() => void) | undefined;
  /** Gives the socket's reads back to its readable side. */
  private readonly stopHolding: () => void;

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
    socket.on("close", this.onClose).on("timeout", this.onTimeout);
    socket.pause();
    // From now on the socket's reads come to `hold`, never to its readable
    // side, where a read that Node's stream machinery starts while the
    // socket is paused would leave them out of reach of a relay.
    this.stopHolding = relayReads(socket, this.hold);
    this.hold(first, () => {});
  }

  /**
   * Relays the body into `destination` when nothing has read it yet and
   * `destination` writes to a socket (an HTTP message, or a socket), as Go's
   * io.Copy does: each read of the socket goes straight to
   * `destination.write`, and the socket reads again once that write has
   * completed, into a buffer it reuses (see `relayReads`). Reads take up to
   * 4 MiB, and a relay holds two buffers, where a pipe of the stream would
   * hold several reads in flight and leave each to the garbage collector.
   * Only a socket's write calls back once nothing uses the bytes any more:
   * a transform, for one, calls back with them still queued, so any other
   * destination gets a pipe as any stream's.
   *
   * `destination` is ended with the body unless `end` is false; if it closes
   * first, the body is destroyed. The relay is the body's one consumer: a
   * second pipe throws, unpiping destroys the body (it keeps no bytes for
   * another reader), and `data` listeners see nothing.
   */
  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (this.mode === "relayed") throw new Error("a relayed body has one destination only");
    if (this.mode !== "waiting" || this.destroyed || !writesToSocket(destination)) {
      return super.pipe(destination, options);
    }
    this.mode = "relayed";
    this.stopWatching = finished(destination, { readable: false }, () => {
      if (!this.released) this.destroy();
    });
    const send = ({ bytes, done, last }: Held) => {
      const next = (error?: Error | null) => {
        done();
        // An error is the destination's (a client gone), not the body's.
        if (error) return void this.destroy();
        // A socket handed back is another GET's.
        if (this.released || this.destroyed) return;
        this.socket.setTimeout(this.timeoutMs);
        this.socket.resume();
      };
      if (!this.released) this.socket.setTimeout(0);
      if (bytes.length > 0) destination.write(bytes, next);
      else next();
      if (!last) return;
      this.stopWatching?.();
      this.push(null);
      this.resume();
      if (options?.end !== false) destination.end();
    };
    const held = this.held;
    this.held = [];
    this.sendHeld = send;
    for (const chunk of held) send(chunk);
    return destination;
  }

  override unpipe(destination?: NodeJS.WritableStream): this {
    if (this.mode !== "relayed") return super.unpipe(destination);
    if (!this.readableEnded) this.destroy();
    return this;
  }

  override _read(): void {
    if (this.mode === "waiting") this.stream();
    if (this.released || this.mode === "relayed") return;
    this.socket.setTimeout(this.timeoutMs);
    this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.held = [];
    this.stopWatching?.();
    this.finish(false);
    callback(error);
  }

  private readonly hold = (chunk: Buffer, done: () => void): void => {
    const bytes = this.countOff(chunk);
    const held = { bytes, done, last: this.released };
    if (this.sendHeld === undefined) this.held.push(held);
    else this.sendHeld(held);
  };

  /** Starts handing on the held bytes and the socket's reads as the stream's chunks. */
  private stream(): void {
    this.mode = "streamed";
    this.stopHolding();
    const held = this.held;
    this.held = [];
    for (const { bytes } of held) if (bytes.length > 0) this.push(bytes);
    if (this.released) this.push(null);
    else this.socket.on("data", this.onData);
  }

  private readonly onData = (chunk: Buffer): void => {
    const bytes = this.countOff(chunk);
    const wantsMore = bytes.length === 0 || this.push(bytes);
    if (this.released) this.push(null);
    else if (!wantsMore) {
      this.socket.pause();
      this.socket.setTimeout(0);
    }
  };

  /**
   * The part of `chunk` that belongs to the body, counted off; the socket is
   * let go once the last byte is in, for reuse unless it brought more.
   */
  private countOff(chunk: Buffer): Buffer {
    const extra = chunk.length > this.remaining;
    const bytes = extra ? chunk.subarray(0, this.remaining) : chunk;
    this.remaining -= bytes.length;
    if (this.remaining === 0) this.finish(!extra);
    return bytes;
  }

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
    this.stopHolding();
    this.socket.off("data", this.onData).off("close", this.onClose).off("timeout", this.onTimeout);
    this.release(whole);
  }
}

/** Whether writes to `destination` call back only once a socket has taken their bytes. */
function writesToSocket(destination: NodeJS.WritableStream): boolean {
  return destination instanceof OutgoingMessage || destination instanceof Socket;
}
