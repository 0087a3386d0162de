import type { IncomingMessage, ServerResponse } from "node:http";

/** Body bytes through one exchange so far; read it when the response has finished. */
export interface BodyBytes {
  readonly received: number;
  readonly sent: number;
}

/**
 * Counts the body bytes of a request and its response as they stream,
 * without buffering or copying them.
 *
 * Why wrap `push`, `write` and `end` rather than listen for `data`: a `data`
 * listener would switch the request to flowing mode and take the bytes from
 * whoever reads the body later. Node's parser hands each body chunk to
 * `push`, and every response body chunk (piped or sent whole) goes through
 * `write` or `end`; headers go through neither, so only bodies are counted.
 * A HEAD response's body is dropped by Node, so none is counted.
 */
export function countBodyBytes(request: IncomingMessage, response: ServerResponse): BodyBytes {
  const counts = { received: 0, sent: 0 };

  const push = request.push;
  request.push = function (this: IncomingMessage, chunk, encoding) {
    counts.received += byteLength(chunk, encoding);
    return push.call(this, chunk, encoding);
  };
  if (request.method === "HEAD") return counts;

  const write = response.write;
  response.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    counts.sent += byteLength(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse["write"];
  const end = response.end;
  response.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== "function") counts.sent += byteLength(chunk, rest[0]);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse["end"];
  return counts;
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === "string") {
    return Buffer.byteLength(
      chunk,
      typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8",
    );
  }
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
