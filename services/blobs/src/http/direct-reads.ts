import type { Readable } from "node:stream";
import type { ByteRange } from "@portfolio/core";
import { Agent, type Dispatcher } from "undici";
import { bulkReadConnector } from "./bulk-reads";
import { rangeHeader } from "./protocol";

export interface DirectReadsOptions {
  /**
   * Connections per storage host at most; default no limit. A pull holds one
   * for as long as its client takes to read the blob, so a limit makes the
   * pulls beyond it wait for the slowest clients.
   */
  connections?: number | null;
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
  | { kind: "unreachable"; error: unknown; pausedForMs: number };

/**
 * Reads stored blobs straight from object storage through presigned URLs, so
 * that a pull's bytes cross one of our processes (the gateway) rather than
 * two: on a pull of a large blob the hop through the blob service costs about
 * as much CPU as the whole rest of the request. Its connections read up to
 * 512 KiB per system call (`bulkReadConnector`), which halves that CPU again.
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
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly pauseMs: number;
  private readonly now: () => number;
  private pausedUntil = 0;

  constructor(private readonly options: DirectReadsOptions = {}) {
    this.agent = new Agent({
      connections: options.connections ?? null,
      connect: bulkReadConnector(),
    });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pauseMs = options.pauseMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  get paused(): boolean {
    return this.now() < this.pausedUntil;
  }

  async read(url: string, range?: ByteRange): Promise<Readable | undefined> {
    const { origin, pathname, search } = new URL(url);
    let answer: Dispatcher.ResponseData;
    try {
      answer = await this.agent.request({
        origin,
        path: `${pathname}${search}`,
        method: "GET",
        headers: range === undefined ? {} : { range: rangeHeader(range) },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      this.pausedUntil = this.now() + this.pauseMs;
      this.options.onOutcome?.({ kind: "unreachable", error, pausedForMs: this.pauseMs });
      return undefined;
    }

    const expected = range === undefined ? 200 : 206;
    if (answer.statusCode !== expected) {
      await answer.body.dump();
      this.options.onOutcome?.({ kind: "status", status: answer.statusCode });
      return undefined;
    }
    const contentRange = answer.headers["content-range"];
    if (range !== undefined && !sameRange(contentRange, range)) {
      await answer.body.dump();
      const reported = typeof contentRange === "string" ? contentRange : undefined;
      this.options.onOutcome?.({ kind: "range", contentRange: reported });
      return undefined;
    }
    this.options.onOutcome?.({ kind: "direct" });
    return answer.body;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Whether a Content-Range header names exactly the range asked for. */
function sameRange(header: string | string[] | undefined, { start, end }: ByteRange): boolean {
  const match = typeof header === "string" ? /^bytes (\d+)-(\d+)\//.exec(header) : null;
  return match !== null && Number(match[1]) === start && Number(match[2]) === end;
}
