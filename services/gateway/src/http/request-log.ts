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

  /**
   * What a request's line says; the request id is on every line already.
   * Headers are never logged (Authorization, cookies), nor query values that
   * could be secrets.
   */
  static fields(request: FastifyRequest, reply: FastifyReply, error: unknown) {
    return {
      method: request.method,
      url: withoutSecrets(request.url),
      user: request.caller?.subject,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      err: error ?? undefined,
    };
  }
}

/** Query parameters whose values must not reach a log: passwords, tokens, signatures. */
const SECRET_PARAMETER = /pass|secret|token|signature|credential|key/i;

function withoutSecrets(url: string): string {
  const question = url.indexOf("?");
  if (question < 0 || !SECRET_PARAMETER.test(url.slice(question))) return url;

  const query = new URLSearchParams(url.slice(question + 1));
  for (const name of new Set(query.keys())) {
    if (SECRET_PARAMETER.test(name)) query.set(name, "REDACTED");
  }
  return `${url.slice(0, question)}?${query}`;
}
