import type { Socket } from "node:net";
import { buildConnector } from "undici";

/** How much one read from a storage connection may take at most; see `bulkReadConnector`. */
export const BULK_READ_BYTES = 512 * 1024;

/** What a connection reads into while it gets little: an answer's head, the end of a body. */
const SMALL_READ_BYTES = 64 * 1024;

/** Reads at least this large give their buffer away rather than being copied out of it. */
const HAND_OFF_BYTES = BULK_READ_BYTES / 4;

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
 * have. A read that filled its buffer, or took much of a large one, gives the
 * buffer away, so bulk bytes are never copied; a smaller one is copied out and
 * its buffer read into again. While reads find 64 KiB or more waiting, the
 * next read gets a large buffer; after a smaller one (an answer's head, the
 * end of a body) it gets 64 KiB. So an idle connection holds at most one large
 * buffer, and only until undici closes it (4 s of idleness by default).
 */
function onRead(this: Socket, bytes: number, buffer: Uint8Array): boolean {
  const handOff = bytes === buffer.length || bytes >= HAND_OFF_BYTES;
  const chunk = handOff
    ? Buffer.from(buffer.buffer, buffer.byteOffset, bytes)
    : Buffer.from(buffer.subarray(0, bytes));
  const size = bytes >= SMALL_READ_BYTES ? BULK_READ_BYTES : SMALL_READ_BYTES;
  pending = !handOff && buffer.length === size ? buffer : Buffer.allocUnsafeSlow(size);
  try {
    // false stops reading until the socket's consumer asks for more, as for
    // any socket whose buffer is full.
    return this.push(chunk);
  } catch (error) {
    // A consumer's 'data' listener threw inside push. Node would skip the
    // next buffer and read into the one just handed on: end the socket instead.
    this.destroy(error as Error);
    return false;
  }
}

/**
 * An undici connector whose plain-TCP sockets read up to 512 KiB per system
 * call instead of Node's fixed 64 KiB. Relaying a blob from object storage,
 * the gateway's CPU is mostly the kernel's work per read: each small read
 * drains the socket, and the kernel answers with a window update to the
 * sender and a wake-up for the next few kilobytes. Measured in the gateway,
 * pulling 1 GiB from versitygw over loopback on this project's 2-core
 * machines: 0.65–0.85 CPU-s per GB with Node's reads, 0.35–0.45 with these;
 * Distribution (Go, reading through a 4 MiB buffer) spends ~0.3. Reads of
 * 1 MiB saved a little more, but a stalled pull holds some four reads in its
 * pipeline (socket, HTTP parser, response), so they cost twice the memory.
 *
 * TLS sockets keep Node's reads: decryption delivers one 16 KiB record at a
 * time whatever the buffer, so there is nothing to gain there.
 */
export function bulkReadConnector(): buildConnector.connector {
  // undici passes these options on to net.connect, adding host and port per
  // connection; its types ask for a port here all the same.
  const onread = { buffer: nextBuffer, callback: onRead };
  const plain = buildConnector({ onread } as buildConnector.BuildOptions);
  const tls = buildConnector({});
  return (options, callback) =>
    options.protocol === "https:" ? tls(options, callback) : plain(options, callback);
}
