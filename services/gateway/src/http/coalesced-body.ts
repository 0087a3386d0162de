import { finished, Readable } from "node:stream";
import { isRelayedBody } from "@portfolio/core";

/**
 * A blob body that hands on, together, every chunk its source gave in one
 * turn of the event loop, so that the response writes them with one syscall.
 *
 * Node reads a socket 64 KiB at a time, and an HTTP response sends what was
 * written to it in the same tick with one `writev` (it corks its socket until
 * the next tick). Piped as is, a body from storage goes out as one write per
 * 64 KiB read; on loopback each write also runs the receiver's TCP stack and
 * wakes it. Held until `setImmediate`, which runs once the loop has read
 * every ready socket, the chunks of a turn (up to some MiB) leave in one
 * write. Measured on a 1 GiB pull relayed from S3: ~35% less CPU in the
 * relay's kernel time, ~15% less in the client's.
 *
 * Backpressure holds: the source pauses when the consumer wants no more,
 * and when a turn's chunks reach 1 MiB (a source that needs no I/O could
 * otherwise give everything in one turn). Destroying either side destroys
 * the other.
 *
 * A body that relays itself (`relaysItself`: direct reads from storage,
 * which read up to 4 MiB at a time) is handed on as it is.
 */
export function coalesced(source: Readable): Readable {
  return isRelayedBody(source) ? source : new CoalescedBody(source);
}

/** Where a turn's chunks stop: a write this large already costs little per byte. */
const MAX_PENDING_BYTES = 1024 * 1024;

class CoalescedBody extends Readable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private sourceEnded = false;
  private flowing = false;

  constructor(private readonly source: Readable) {
    super();
    source.once("end", () => {
      this.sourceEnded = true;
      this.scheduleFlush();
    });
    // An error, or a close before the end (a source destroyed without one).
    finished(source, { writable: false }, (error) => {
      if (error && !this.destroyed) this.destroy(error);
    });
  }

  override _read(): void {
    if (!this.flowing) {
      this.flowing = true;
      this.source.on("data", (chunk: Buffer) => {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        if (this.pendingBytes >= MAX_PENDING_BYTES) this.source.pause();
        this.scheduleFlush();
      });
    }
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.pending = [];
    if (!this.source.destroyed) this.source.destroy(error ?? undefined);
    callback(error);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.destroyed) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    let wantsMore = true;
    for (const chunk of chunks) wantsMore = this.push(chunk) && wantsMore;
    if (this.sourceEnded) this.push(null);
    else if (wantsMore) this.source.resume();
    else this.source.pause();
  }
}
