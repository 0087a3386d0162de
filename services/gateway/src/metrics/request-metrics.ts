import { type BodyBytes, countBodyBytes, registerHttpMetrics } from "@portfolio/http-metrics";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import { routeLabel } from "./route-label";

/** Probes and scrapes are not traffic: counting them would only measure the monitoring. */
const UNMEASURED = new Set(["/metrics", "/healthz", "/readyz"]);

/**
 * Serves `registry` at `/metrics` and counts every other request into it.
 * Register it before any other `onRequest` hook: body bytes are counted from
 * the first chunk only if the counting starts before anything can wait.
 */
export function registerRequestMetrics(app: FastifyInstance, registry: Registry): void {
  const metrics = registerHttpMetrics(registry);
  const bodies = new WeakMap<FastifyRequest, BodyBytes>();

  app.addHook("onRequest", (request, reply, done) => {
    if (!UNMEASURED.has(request.routeOptions.url ?? "")) {
      bodies.set(request, countBodyBytes(request.raw, reply.raw));
    }
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    const bytes = bodies.get(request);
    if (bytes) {
      metrics.observe({
        route: routeLabel(request),
        method: request.method,
        status: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
        bytesReceived: bytes.received,
        bytesSent: bytes.sent,
      });
    }
    done();
  });

  app.get("/metrics", async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
