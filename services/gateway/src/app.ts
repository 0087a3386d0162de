import { randomUUID } from "node:crypto";
import { OciError, withRequestId } from "@portfolio/core";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import { Registry as MetricsRegistry } from "prom-client";
import type { AccessControl } from "./auth/access-control";
import { type Caller, OPEN_CALLER } from "./auth/caller";
import { registerTokenEndpoint } from "./auth/token-endpoint";
import { clientErrorHandler } from "./http/client-errors";
import { closeConnectionsAsTheyIdle } from "./http/closing";
import { drainBody } from "./http/drain";
import { toOciError } from "./http/errors";
import { sendJson } from "./http/json";
import { RequestLog } from "./http/request-log";
import { registerRequestMetrics } from "./metrics/request-metrics";
import { Registry, type RegistryBackends, type RegistryLimits } from "./registry/registry";
import { catalog } from "./routes/catalog";
import { dispatch } from "./routes/dispatch";
import { registerHealth } from "./routes/health";

export interface GatewayOptions {
  backends: RegistryBackends;
  limits?: RegistryLimits;
  logger?: FastifyServerOptions["loggerInstance"];
  /**
   * Where `/metrics` reads from and the request metrics go; default a fresh
   * registry of this app's own, so apps in one process never collide. Pass
   * one to add process or other components' metrics to the same page.
   */
  metrics?: MetricsRegistry;
  /** Who may pull, push and delete; absent, everyone may do everything. */
  access?: AccessControl;
  /**
   * Fastify's `trustProxy`: whom to believe about the client's address and
   * scheme (`X-Forwarded-For`, `X-Forwarded-Proto`) behind an ingress.
   */
  trustProxy?: FastifyServerOptions["trustProxy"];
}

declare module "fastify" {
  interface FastifyRequest {
    /** Who sent a `/v2` request; set before any handler runs. */
    caller: Caller;
  }
}

/**
 * The OCI Distribution API over the core contracts. Bodies are never parsed
 * by Fastify: each handler streams or reads the raw request itself, so blobs
 * of any size pass with bounded memory and manifests keep their exact bytes.
 */
export function buildGateway(options: GatewayOptions): FastifyInstance {
  const registry = new Registry(options.backends, options.limits);
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new RequestLog(),
    genReqId: (request) => headerValue(request.headers["x-request-id"]) ?? randomUUID(),
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1024 },
    return503OnClosing: true,
    clientErrorHandler,
    frameworkErrors: (error, request, reply) => void sendError(error, request, reply),
    trustProxy: options.trustProxy ?? false,
  });
  const { access } = options;

  registerRequestMetrics(app, options.metrics ?? new MetricsRegistry());
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null));
  app.addHook("onRequest", (request, _reply, done) => withRequestId(request.id, done));
  // Fastify wants null here: an object would be shared by every request.
  app.decorateRequest("caller", null as unknown as Caller);
  app.addHook("onRequest", async (request) => {
    // Before any body is read: a refused push costs the client no upload.
    const guarded = access !== undefined && request.url.startsWith("/v2");
    request.caller = guarded ? await access.identify(request) : OPEN_CALLER;
  });
  if (access) {
    if (access.options.issuer) registerTokenEndpoint(app, access, access.options.issuer);
  }
  app.addHook("onSend", async (request, reply) => {
    reply.header("docker-distribution-api-version", "registry/2.0");
    reply.header("x-request-id", request.id);
  });
  closeConnectionsAsTheyIdle(app);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((_request, reply) => {
    return sendError(new OciError("NAME_UNKNOWN", "no such API route"), _request, reply);
  });

  registerHealth(app, options.backends);
  const base = async (request: FastifyRequest, reply: FastifyReply) => {
    access?.requireSignedIn(request, request.caller);
    return sendJson(reply, {});
  };
  app.get("/v2/", base);
  app.get("/v2", base);
  app.get("/v2/_catalog", (request, reply) => catalog(registry, request as never, reply, access));
  app.route({
    method: ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"],
    url: "/v2/*",
    exposeHeadRoute: false,
    handler: (request, reply) => dispatch(registry, request as never, reply, access),
  });
  return app;
}

async function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (clientWentAway(request, reply)) {
    // Nobody is left to answer; this is the request's one log line, not a server failure.
    // 499 is nginx's "client closed request"; Node never sends it, the socket is gone.
    reply.status(499);
    request.log.info(RequestLog.fields(request, reply, error), "request aborted by the client");
    return reply.send();
  }
  const oci = toOciError(error) ?? fromFastify(error);
  // A body refused unread is drained when small enough, so the client hears why; any other
  // left unread (a backend failed mid-chunk) is not: the connection ends here.
  if (!request.raw.complete) {
    const drained = oci !== undefined && oci.status < 500 && (await drainBody(request.raw));
    if (!drained) reply.header("connection", "close");
  }
  if (!oci) {
    request.log.error({ err: error }, "request failed");
    return sendJson(reply.status(500), {
      errors: [{ code: "UNKNOWN", message: "internal error" }],
    });
  }
  reply.headers(oci.headers).status(oci.status);
  return sendJson(reply, oci.toBody());
}

/** Fastify's own client errors (bad URLs, bodies) keep their 4xx status. */
function fromFastify(error: unknown): OciError | undefined {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const message = error instanceof Error ? error.message : "bad request";
  return new OciError("UNSUPPORTED", message, undefined, { status });
}

/**
 * The client closed the connection before sending its whole request. Asked of
 * the connection, not of the request stream: a blob service that fails
 * mid-append destroys the request body it was streaming (undici does), yet
 * the client is still there and must get its 503.
 */
function clientWentAway(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.raw.complete) return false;
  const socket = reply.raw.socket ?? request.raw.socket;
  return reply.raw.destroyed || !socket || socket.destroyed;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first && /^[\w.:-]{1,128}$/.test(first) ? first : undefined;
}
