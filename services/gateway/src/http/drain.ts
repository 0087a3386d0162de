import type { IncomingMessage } from "node:http";

/** Bodies up to this declared length are read to their end after an early answer. */
const DRAIN_LIMIT = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Reads and drops what is left of a request body that was refused before it
 * was read (a chunk out of order, a push without the right to), so that the
 * client, still sending, gets the answer. HTTP lets a server close instead,
 * but a client writing a large chunk then sees a broken pipe rather than the
 * 416 or 401 that tells it what to do (Go's HTTP client among them). Bodies
 * of unknown or large length, or one already taken by a backend, are not
 * read: answers false, and the connection is to be closed.
 */
export function drainBody(body: IncomingMessage): Promise<boolean> {
  const length = Number(body.headers["content-length"]);
  if (!Number.isSafeInteger(length) || length > DRAIN_LIMIT) return Promise.resolve(false);
  if (body.destroyed || body.readableEnded || body.readableFlowing) return Promise.resolve(false);

  return new Promise((resolve) => {
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      body.off("end", ended).off("error", failed).off("close", closed);
      resolve(drained);
    };
    const ended = () => finish(true);
    const failed = () => finish(false);
    const closed = () => finish(body.complete);
    const timer = setTimeout(() => finish(false), DRAIN_TIMEOUT_MS);
    body.on("end", ended).on("error", failed).on("close", closed).resume();
  });
}
