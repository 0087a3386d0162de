import type { Readable } from "node:stream";

/**
 * Marks a blob body whose `pipe` writes its bytes itself, in few large writes
 * from two reused buffers (the gateway's direct reads from storage), so that
 * whoever sends it leaves it unwrapped: a wrapper that batches its chunks
 * would consume them through `data` events and lose that. Registered, so the
 * same symbol marks bodies from another copy of this package.
 */
export const relaysItself: unique symbol = Symbol.for("portfolio.relaysItself");

/** Whether `body` is marked with `relaysItself`. */
export function isRelayedBody(body: Readable): boolean {
  return (body as Readable & { [relaysItself]?: boolean })[relaysItself] === true;
}
