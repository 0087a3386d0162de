import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { StorageStreamError } from "./exchange";
import { toWireError } from "./wire-errors";

/**
 * "client closed request", as nginx and the gateway log it; no client ever
 * receives it, since the connection is already gone.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The blob service's one line per request, written once the handler has
 * settled and the response has closed, with the field names of the gateway's
 * request line (method, url, status, ms, err) so that both read alike; the
 * request id is bound on the logger. A 5xx is logged at error, anything else
 * at info (a 4xx is the caller's mistake, not ours).
 *
 * A response that closed before its last byte was sent is not logged with
 * the status its headers promised: it is 500 at error when the storage's
 * stream failed mid-body (StorageStreamError), and 499 at info otherwise,
 * the client having gone away (mid-download or mid-append).
 */
export class RequestLog {
  private readonly started = performance.now();
  private readonly closed: Promise<unknown>;

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly log: Logger,
  ) {
    this.closed = once(response, "close");
  }

  /** Writes the line once the response has closed; `error` is what the handler threw, if any. */
  async completed(error: unknown): Promise<void> {
    await this.closed;

    const fields = { method: this.request.method, url: this.request.url };
    const ms = Math.round(performance.now() - this.started);
    if (this.response.writableFinished) {
      const status = this.response.statusCode;
      const outcome = status >= 500 ? { err: error } : refusal(error);
      this.log[status >= 500 ? "error" : "info"](
        { ...fields, status, ms, ...outcome },
        "request completed",
      );
    } else if (error instanceof StorageStreamError) {
      this.log.error({ ...fields, status: 500, ms, err: error.cause }, "response cut short");
    } else {
      const line = { ...fields, status: CLIENT_CLOSED_REQUEST, ms, err: error };
      this.log.info(line, "request aborted by the client");
    }
  }
}

/** What a refused request was refused for: the kind of its wire error. */
function refusal(error: unknown): { kind?: string } {
  return error === undefined ? {} : { kind: toWireError(error).body.kind };
}
