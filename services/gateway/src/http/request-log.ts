import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/**
 * One line per request, when it completes: 5xx at error, everything else at
 * info (a 4xx is the client's mistake, not ours). Fastify's own
 * "incoming request" line is dropped as noise.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = RequestLog.fields(request, reply, error);
    if (reply.statusCode >= 500) request.log.error(fields, "request completed");
    else request.log.info(fields, "request completed");
  }

  /** What a request's line says; the request id is on every line already. */
  static fields(request: FastifyRequest, reply: FastifyReply, error: unknown) {
    return {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      err: error ?? undefined,
    };
  }
}
