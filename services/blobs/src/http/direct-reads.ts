import type { Readable } from "node:stream";
import type { ByteRange } from "@portfolio/core";
import { Agent } from "undici";
import { UnreadableAnswerError } from "./answer-head";
import { PlainGets, type StorageAnswer } from "./plain-gets";
import { rangeHeader } from "./protocol";

export interface DirectReadsOptions {
  /** Deadline for storage's answer, and for each stretch of silence in the body; default 30 s. */
  timeoutMs?: number;
  /** How long direct reads stop after storage could not be reached; default 60 s. */
  pauseMs?: number;
  /** Told how each read went: direct, or why it went back to the blob service. Never the URL. */
  onOutcome?: (outcome: DirectReadOutcome) => void;
  now?: () => number;
}

export type DirectReadOutcome = { kind: "direct" } | DirectReadFallback;

export type DirectReadFallback =
  | { kind: "status"; status: number }
  | { kind: "range"; contentRange: string | undefined }
  | { kind: "unreadable"; reason: string }
  | { kind: "unreachable"; error: unknown; pausedForMs: number };

/**
 * Reads stored blobs straight from object storage through presigned URLs, so
 * that a pull's bytes cross one of our processes (the gateway) rather than
 * two: on a pull of a large blob the hop through the blob service costs about
 * as much CPU as the whole rest of the request. Storage on plain HTTP is read
 * through `PlainGets`, whose bodies are the socket's reads of up to 1 MiB,
 * handed on without a copy; on https: through undici.
 *
 * Only the exact answer asked for is used: 200 for a whole blob, 206 with the
 * same range for a range. Anything else (a URL storage refused, an object it
 * lost, a store that ignored the Range header, a host this process cannot
 * reach) answers undefined, and the caller reads through the blob service,
 * which retries and turns storage's answers into the registry's errors. After
 * a transport failure direct reads pause for a while, so that a gateway which
 * cannot reach the store pays for the failed attempt once per pause, not on
 * every pull.
 */
export class DirectReads {
  private readonly plain: PlainGets;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly pauseMs: number;
  private readonly now: () => number;
  private pausedUntil = 0;

  constructor(private readonly options: DirectReadsOptions = {}) {
    // No limit on connections per host: a pull holds one for as long as its
    // client takes to read the blob, so a limit makes the pulls beyond it wait
    // for the slowest clients.
    this.agent = new Agent({ connections: null });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.plain = new PlainGets({ timeoutMs: this.timeoutMs });
    this.pauseMs = options.pauseMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  get paused(): boolean {
    return this.now() < this.pausedUntil;
  }

  async read(url: string, range?: ByteRange): Promise<Readable | undefined> {
    const target = new URL(url);
    const fields: Record<string, string> = range === undefined ? {} : { range: rangeHeader(range) };
    let answer: StorageAnswer;
    try {
      answer =
        target.protocol === "http:"
          ? await this.plain.get(target, fields)
          : await this.viaUndici(target, fields);
    } catch (error) {
      if (error instanceof UnreadableAnswerError) {
        this.options.onOutcome?.({ kind: "unreadable", reason: error.message });
        return undefined;
      }
      this.pausedUntil = this.now() + this.pauseMs;
      this.options.onOutcome?.({ kind: "unreachable", error, pausedForMs: this.pauseMs });
      return undefined;
    }

    const expected = range === undefined ? 200 : 206;
    if (answer.statusCode !== expected) {
      answer.body?.destroy();
      this.options.onOutcome?.({ kind: "status", status: answer.statusCode });
      return undefined;
    }
    const contentRange = answer.headers["content-range"];
    const length = answer.headers["content-length"];
    if (range !== undefined && !(sameRange(contentRange, range) && sameLength(length, range))) {
      answer.body?.destroy();
      this.options.onOutcome?.({ kind: "range", contentRange });
      return undefined;
    }
    if (answer.body === undefined) {
      this.options.onOutcome?.({ kind: "unreadable", reason: "a body without a Content-Length" });
      return undefined;
    }
    this.options.onOutcome?.({ kind: "direct" });
    return answer.body;
  }

  /** TLS decrypts a 16 KiB record at a time whatever the read, so https: keeps undici. */
  private async viaUndici(url: URL, fields: Record<string, string>): Promise<StorageAnswer> {
    const answer = await this.agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: "GET",
      headers: fields,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    return { statusCode: answer.statusCode, headers, body: answer.body };
  }

  async close(): Promise<void> {
    this.plain.close();
    await this.agent.close();
  }
}

/** Whether a Content-Length, when given, is the length of the range asked for. */
function sameLength(header: string | undefined, { start, end }: ByteRange): boolean {
  return header === undefined || Number(header) === end - start + 1;
}

/** Whether a Content-Range header names exactly the range asked for. */
function sameRange(header: string | undefined, { start, end }: ByteRange): boolean {
  const match = header === undefined ? null : /^bytes (\d+)-(\d+)\//.exec(header);
  return match !== null && Number(match[1]) === start && Number(match[2]) === end;
}
