import { connect, type Socket } from "node:net";
import { finished, type Readable } from "node:stream";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { type AnswerHead, parseHead, UnreadableAnswerError } from "./answer-head";
import { awaitingNothing, bulkOnRead } from "./bulk-reads";
import { ContentLengthBody } from "./content-length-body";
import { lastSocketError, recordSocketErrors } from "./socket-errors";

/** An answer to a GET: its status, its head's fields (names in lower case), and its body. */
export interface StorageAnswer {
  statusCode: number;
  headers: Record<string, string>;
  /**
   * Undefined when the answer had a body this client does not read (one
   * without a Content-Length: chunked, or ended by closing the connection);
   * its connection is closed.
   */
  body: Readable | undefined;
}

export interface PlainGetsOptions {
  /** Deadline for an answer's head, and for each stretch of silence in its body; default 30 s. */
  timeoutMs?: number;
  /** How long an idle connection is kept for the next GET; default 4 s, as undici. */
  keepAliveMs?: number;
  /**
   * Idle connections kept per host at most; default 32. A burst of pulls
   * opens one per pull, and few are needed again within the keep-alive time.
   */
  maxIdlePerHost?: number;
}

/** Where a head that has not ended is given up on. */
const MAX_HEAD_BYTES = 64 * 1024;

/** Spans go nowhere unless a role turned tracing on (services/portfolio/src/tracing.ts). */
const tracer = trace.getTracer("@portfolio/blobs");

/**
 * GETs over plain TCP whose bodies are the socket's own reads, handed on as
 * they come. Each connection reads through `bulkOnRead` (up to 1 MiB per
 * system call; 4 MiB for a body piped as it is, which relays, see
 * `ContentLengthBody.pipe`), and no byte of a body is copied or parsed on its
 * way: with undici, every chunk is also copied into its HTTP parser, which
 * cost about a quarter of the gateway's user CPU on a 1 GiB pull relayed from
 * S3 (perf: memmove ~7% of all its samples).
 *
 * That is all it does. It reads a body only when the head gives a
 * Content-Length and no Transfer-Encoding; for any other the answer comes
 * without one, and the caller reads some other way (DirectReads goes back to
 * the blob service, which reads through the AWS SDK). Object storage answers
 * a GET of an object with its length, so that is rare. Connections are kept
 * alive for the next GET to the same host, and watched while idle (see
 * `keepIdle`). A GET on one that storage closed at that very moment, or that
 * answers 408, is sent again once on a new connection (GETs can be repeated).
 */
export class PlainGets {
  private readonly timeoutMs: number;
  private readonly keepAliveMs: number;
  private readonly maxIdlePerHost: number;
  private readonly idle = new Map<string, Socket[]>();
  private closed = false;

  constructor(options: PlainGetsOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.keepAliveMs = options.keepAliveMs ?? 4_000;
    this.maxIdlePerHost = options.maxIdlePerHost ?? 32;
  }

  /**
   * GETs `url` (http: only) with the given header fields. A client span covers
   * it, body included, when tracing is on (the query is left out of its URL:
   * in a presigned URL it is a credential), and the request carries its
   * `traceparent`, as undici's requests do.
   */
  async get(url: URL, fields: Record<string, string> = {}): Promise<StorageAnswer> {
    if (url.protocol !== "http:") {
      throw new Error(`PlainGets reads http: URLs, not ${url.protocol}`);
    }
    const span = tracer.startSpan("GET", {
      kind: SpanKind.CLIENT,
      attributes: {
        "http.request.method": "GET",
        "server.address": url.hostname,
        "server.port": Number(url.port || 80),
        "url.full": `${url.origin}${url.pathname}`,
      },
    });
    const traced = { ...fields };
    propagation.inject(trace.setSpan(context.active(), span), traced);
    let answer: StorageAnswer;
    try {
      answer = await this.send(url, traced);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR }).end();
      throw error;
    }
    span.setAttribute("http.response.status_code", answer.statusCode);
    if (answer.statusCode >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    if (answer.body === undefined) span.end();
    else {
      // Also the body's error listener until the caller adds its own: a
      // body that fails before anyone reads it must not throw.
      finished(answer.body, (error) => {
        if (error) {
          span.recordException(error);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      });
    }
    return answer;
  }

  private async send(url: URL, fields: Record<string, string>): Promise<StorageAnswer> {
    const request = requestHead(url, fields);
    const reused = this.takeIdle(url.host);
    if (reused !== undefined) {
      try {
        return await this.exchange(reused, url.host, request);
      } catch (error) {
        if (!(error instanceof UnansweredError)) throw error;
      }
    }
    return this.exchange(this.open(url), url.host, request);
  }

  /** Closes the idle connections; GETs under way finish first. */
  close(): void {
    this.closed = true;
    for (const sockets of this.idle.values()) for (const socket of sockets) socket.destroy();
    this.idle.clear();
  }

  private open(url: URL): Socket {
    // URL keeps the brackets of an IPv6 literal, which connect does not take.
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const socket = connect({ host, port: Number(url.port || 80), onread: bulkOnRead() });
    recordSocketErrors(socket);
    return socket;
  }

  /**
   * Sends the request and waits for the answer's head, for `timeoutMs` at
   * most whatever trickles in; the body follows as it comes.
   */
  private exchange(socket: Socket, host: string, request: string): Promise<StorageAnswer> {
    const reused = socket.bytesRead > 0;
    awaitingNothing(socket, false);
    return new Promise((resolve, reject) => {
      let head: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if ((end < 0 ? head.length : end) > MAX_HEAD_BYTES) {
          return fail(new UnreadableAnswerError("a head over 64 KiB"));
        }
        if (end < 0) return;
        detach();
        try {
          const answer = parseHead(head.toString("latin1", 0, end));
          // An idle connection that the store (or a proxy) timed out: 408
          // answers no request of ours, as Go's client also reads it.
          if (reused && answer.statusCode === 408) {
            socket.destroy();
            return reject(new UnansweredError("a 408 on a reused connection"));
          }
          resolve(this.answer(socket, host, answer, head.subarray(end + 4)));
        } catch (error) {
          socket.destroy();
          reject(error);
        }
      };
      const onClose = () => {
        detach();
        const cause = lastSocketError(socket);
        const why = cause ? `: ${cause.message}` : "";
        const what = head.length === 0 ? "without answering" : "before its answer's head ended";
        const message = `storage closed the connection ${what}${why}`;
        reject(
          reused && head.length === 0
            ? new UnansweredError(message)
            : new Error(message, { cause }),
        );
      };
      const fail = (error: Error) => {
        detach();
        socket.destroy();
        reject(error);
      };
      const deadline = setTimeout(
        () => fail(new Error(`storage did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const detach = () => {
        clearTimeout(deadline);
        socket.off("data", onData).off("close", onClose);
      };
      socket.on("data", onData).on("close", onClose);
      socket.setTimeout(0);
      socket.write(request, "latin1");
    });
  }

  /** The answer whose head was just read; `rest` is what came after the head. */
  private answer(socket: Socket, host: string, head: AnswerHead, rest: Buffer): StorageAnswer {
    const { statusCode, headers, length, keepAlive } = head;
    if (length === undefined) {
      socket.destroy();
      return { statusCode, headers, body: undefined };
    }
    const body = new ContentLengthBody(socket, length, rest, this.timeoutMs, (whole) =>
      whole && keepAlive ? this.keepIdle(host, socket) : socket.destroy(),
    );
    return { statusCode, headers, body };
  }

  /**
   * Keeps a connection whose answer was read whole for the next GET to
   * `host`. It goes on reading while idle: a store has nothing to send on it
   * until the next request, so any byte (a late 408, the rest of an answer
   * longer than it said) ends it, as do the store closing it and 4 s of
   * idleness. It does not keep the process alive.
   */
  private keepIdle(host: string, socket: Socket): void {
    const sockets = this.idle.get(host) ?? [];
    if (this.closed || socket.destroyed || sockets.length >= this.maxIdlePerHost) {
      return void socket.destroy();
    }
    awaitingNothing(socket, true);
    sockets.push(socket);
    this.idle.set(host, sockets);
    const expire = () => socket.destroy();
    const leave = () => {
      socket.off("close", leave).off("timeout", expire).off("data", expire);
      const left = sockets.indexOf(socket);
      if (left >= 0) sockets.splice(left, 1);
      if (sockets.length === 0 && this.idle.get(host) === sockets) this.idle.delete(host);
    };
    socket.on("close", leave).on("timeout", expire).on("data", expire);
    // A body paused it (a relay between writes, or one that came with the head).
    socket.resume();
    socket.setTimeout(this.keepAliveMs);
    socket.unref();
    idleLeavers.set(socket, leave);
  }

  /** The most recently idle connection to `host`, no longer idle; or undefined. */
  private takeIdle(host: string): Socket | undefined {
    for (;;) {
      const socket = this.idle.get(host)?.at(-1);
      if (socket === undefined) return undefined;
      idleLeavers.get(socket)?.();
      idleLeavers.delete(socket);
      socket.ref();
      // Destroyed, its 'close' still to come; or holding bytes nobody asked for.
      if (!socket.destroyed && socket.readableLength === 0) return socket;
      socket.destroy();
    }
  }
}

/** How an idle connection leaves its pool, for the GET that takes it. */
const idleLeavers = new WeakMap<Socket, () => void>();

/** A reused connection closed before any byte of an answer: storage had closed it while idle. */
class UnansweredError extends Error {}

function requestHead(url: URL, fields: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(fields)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value))
      throw new Error(`header ${name} has a line break`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join("\r\n")}\r\n\r\n`;
}
