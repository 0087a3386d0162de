import type { NetConnectOpts, Socket } from "node:net";

/**
 * How much one read from a storage connection may take at most when its
 * bytes are handed on as a stream, each read into a buffer of its own; see
 * `bulkOnRead`.
 */
export const MAX_READ_BYTES = 1024 * 1024;

/**
 * The same for a relayed connection (`relayReads`), which reads into the same
 * two buffers again and again, so that its reads can be larger for the same
 * memory.
 */
export const MAX_RELAY_READ_BYTES = 4 * 1024 * 1024;

/** What a connection reads into while it gets little: an answer's head, the end of a body. */
export const SMALL_READ_BYTES = 64 * 1024;

/**
 * What every bulk-reading connection may grow its reads to, however many
 * there are; beyond that they share `BULK_BUDGET_BYTES`.
 */
const SHARED_READ_BYTES = 512 * 1024;

/**
 * Memory that the connections reading in bulk may hold in reads between them
 * before theirs shrink towards `SHARED_READ_BYTES`: 32 MiB. A relayed
 * connection holds two buffers, so four relays read 4 MiB each. A streamed
 * one holds some four reads when its consumer has stopped (socket, body,
 * response): eight read 1 MiB each, as many stalled pulls held ~32 MiB before
 * reads could grow past 512 KiB.
 */
const BULK_BUDGET_BYTES = 32 * 1024 * 1024;

/** The connections whose last read was a bulk one, for their share of the budget. */
const bulkSockets = new Set<Socket>();

/**
 * The size of a connection's next read, from how much its last one took:
 * twice as much while reads fill their buffer (up to `MAX_READ_BYTES`, or
 * `MAX_RELAY_READ_BYTES` when `relayed`, or the connection's share of the
 * budget when many read in bulk), half as much when one took under a quarter,
 * and 64 KiB once one took less than that.
 */
export function nextReadBytes(
  bytes: number,
  length: number,
  bulkConnections: number,
  relayed = false,
): number {
  if (bytes < SMALL_READ_BYTES) return SMALL_READ_BYTES;
  let limit = relayed ? MAX_RELAY_READ_BYTES : MAX_READ_BYTES;
  const held = relayed ? 2 : 4;
  while (limit > SHARED_READ_BYTES && limit * held * bulkConnections > BULK_BUDGET_BYTES) {
    limit /= 2;
  }
  if (bytes === length) return Math.min(length * 2, limit);
  if (bytes < length / 4) return Math.min(Math.max(length / 2, SMALL_READ_BYTES), limit);
  return Math.min(length, limit);
}

/**
 * The buffer the socket whose read `onRead` just handled reads into next.
 * Node calls `onRead` and then `nextBuffer` for the same socket, one right
 * after the other (and `nextBuffer` alone for a new socket), so one variable
 * carries it from the first to the second. Should another socket take it
 * in between, the first is handed a fresh buffer: no buffer ever has two
 * sockets, and none is read into again once its bytes were handed on.
 */
let pending: Uint8Array | undefined;

function nextBuffer(): Uint8Array {
  const buffer = pending ?? Buffer.allocUnsafeSlow(SMALL_READ_BYTES);
  pending = undefined;
  return buffer;
}

/**
 * Hands the bytes of one read on to the socket's readable side, as Node would
 * have. A small read into a 64 KiB buffer (an answer's head) is copied out
 * and the buffer read into again; any other read gives its buffer away, so
 * bulk bytes are never copied, and the next read gets a fresh buffer of the
 * size `nextReadBytes` gives. That size is chosen once the consumer has seen
 * the bytes: a read that ended an answer leaves the connection idle (see
 * `awaitingNothing`), and an idle connection holds a 64 KiB buffer, not one
 * sized for the body it just read.
 */
function onRead(this: Socket, bytes: number, buffer: Uint8Array): boolean {
  const relay = relays.get(this);
  if (relay !== undefined) {
    relayRead(this, relay, bytes, buffer);
    return true;
  }
  const keep = buffer.length === SMALL_READ_BYTES && bytes < SMALL_READ_BYTES / 4;
  const chunk = keep
    ? Buffer.from(buffer.subarray(0, bytes))
    : Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
  let wantsMore: boolean;
  try {
    // false stops reading until the socket's consumer asks for more, as for
    // any socket whose buffer is full.
    wantsMore = this.push(chunk);
  } catch (error) {
    // A consumer's 'data' listener threw inside push. Node would skip the
    // next buffer and read into the one just handed on: end the socket instead.
    this.destroy(error as Error);
    wantsMore = false;
  }
  const idle = idleSockets.has(this);
  trackBulk(this, !idle && bytes >= SMALL_READ_BYTES);
  const size = idle ? SMALL_READ_BYTES : nextReadBytes(bytes, buffer.length, bulkSockets.size);
  // Set only now: a socket opened by a consumer inside push takes `pending`
  // as its first buffer, and must not take this one's.
  pending = keep ? buffer : Buffer.allocUnsafeSlow(size);
  return wantsMore;
}

/**
 * Takes a chunk of a relayed socket; `done` gives its buffer back for a
 * later read, once nothing uses the chunk's bytes any more.
 */
export type RelaySink = (chunk: Buffer, done: () => void) => void;

/** Where the reads of a relayed socket go, and a buffer of its that is free to read into. */
interface Relay {
  sink: RelaySink;
  spare: Buffer | undefined;
}

const relays = new WeakMap<Socket, Relay>();

/**
 * Hands the reads of `socket` to `sink` instead of its readable side, until
 * the function it answers is called (which leaves alone a relay that has
 * taken its place since). Each read pauses the socket before `sink` gets it,
 * for the sink to resume once it has written the chunk; the read after next
 * goes into the buffer of a chunk the sink is done with. So a relay reads
 * into the same two buffers (one being written, one to read into) and
 * allocates nothing per read, where handed-on reads wait in several places
 * (socket, body, response) until the garbage collector finds them.
 * Correctness does not rest on the pause: Node's stream machinery can start
 * a paused socket reading again, and a buffer is read into only once its
 * chunk is done. A sink that throws ends the socket with its error.
 */
export function relayReads(socket: Socket, sink: RelaySink): () => void {
  const relay: Relay = { sink, spare: undefined };
  relays.set(socket, relay);
  return () => {
    if (relays.get(socket) === relay) relays.delete(socket);
  };
}

function relayRead(socket: Socket, relay: Relay, bytes: number, buffer: Uint8Array): void {
  trackBulk(socket, bytes >= SMALL_READ_BYTES);
  const size = nextReadBytes(bytes, buffer.length, bulkSockets.size, true);
  // The whole buffer, though the read may have had a view of part of it.
  const whole = Buffer.from(
    buffer.buffer,
    buffer.byteOffset,
    buffer.buffer.byteLength - buffer.byteOffset,
  );
  let done = false;
  socket.pause();
  try {
    relay.sink(Buffer.from(buffer.buffer, buffer.byteOffset, bytes), () => {
      if (done) return;
      done = true;
      if (relays.get(socket) === relay) relay.spare = whole;
    });
  } catch (error) {
    // Node would go on to the next read with the buffer it has: end the socket instead.
    relays.delete(socket);
    socket.destroy(error as Error);
  }
  if (relays.get(socket) !== relay) {
    // The relay ended with this read: the socket reads on (idle, or for
    // whoever takes it next) into a buffer of its own.
    pending = Buffer.allocUnsafeSlow(idleSockets.has(socket) ? SMALL_READ_BYTES : size);
    return;
  }
  const spare = relay.spare;
  relay.spare = undefined;
  pending =
    spare !== undefined && spare.length >= size
      ? spare.subarray(0, size)
      : Buffer.allocUnsafeSlow(size);
}

/** Sockets that expect no bytes until they send another request; see `awaitingNothing`. */
const idleSockets = new WeakSet<Socket>();

/**
 * Tells the reads of `socket` whether it expects nothing more for now (an
 * answer was read whole and the connection waits for the next request), so
 * that its next read gets a 64 KiB buffer and it leaves the bulk readers.
 */
export function awaitingNothing(socket: Socket, idle: boolean): void {
  if (idle) idleSockets.add(socket);
  else idleSockets.delete(socket);
}

/** The sockets already told to leave `bulkSockets` when they close. */
const watched = new WeakSet<Socket>();

/** Counts the socket among the bulk readers while its reads are bulk ones, until it closes. */
function trackBulk(socket: Socket, bulk: boolean): void {
  if (!bulk) {
    bulkSockets.delete(socket);
    return;
  }
  bulkSockets.add(socket);
  if (watched.has(socket)) return;
  watched.add(socket);
  socket.once("close", () => bulkSockets.delete(socket));
}

/**
 * The `onread` option of `net.connect` that makes a plain-TCP socket read up
 * to 1 MiB per system call instead of Node's fixed 64 KiB. Relaying a blob
 * from object storage, the gateway's CPU is mostly the kernel's work per
 * read: each small read drains the socket, and the kernel answers with a
 * window update to the sender and a wake-up for the next few kilobytes.
 * Measured in the gateway, pulling 1 GiB from versitygw over loopback on this
 * project's 2-core machines: 0.65–0.85 CPU-s per GB with Node's reads,
 * 0.35–0.45 with reads of 512 KiB; Distribution (Go, reading through a 4 MiB
 * buffer) spends ~0.3. Reads of 1 MiB took the gateway's system time from
 * ~38 to 29–33 ticks per GiB, at the same peak RSS. Reads of 2 MiB saved 2–4
 * ticks more, but left peak RSS 5–25 MiB higher in some runs (and need
 * glibc's mmap threshold above 2 MiB, see docs/configuration.md, Memory).
 *
 * TLS sockets gain nothing from it: decryption delivers one 16 KiB record at
 * a time whatever the buffer.
 */
export function bulkOnRead(): NonNullable<NetConnectOpts["onread"]> {
  return { buffer: nextBuffer, callback: onRead };
}
