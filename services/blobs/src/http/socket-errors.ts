import type { Socket } from "node:net";

/** The last error of each socket, for the 'close' that follows it. */
const errors = new WeakMap<Socket, Error>();

/**
 * Keeps the socket's errors for `lastSocketError`. It is also the socket's
 * one 'error' listener for its whole life: whoever uses the socket learns of
 * an error from the 'close' that follows, so none is ever thrown unheard.
 */
export function recordSocketErrors(socket: Socket): void {
  socket.on("error", (error) => errors.set(socket, error));
}

/** The error that ended the socket, if one did. */
export function lastSocketError(socket: Socket): Error | undefined {
  return errors.get(socket);
}
