import type { FastifyRequest } from "fastify";

/**
 * The OCI resource each `/v2/*` request was dispatched to. Only the dispatcher
 * knows it (one Fastify route serves them all), so it is noted here for the
 * metrics; a WeakMap rather than a request decoration keeps Fastify's request
 * type untouched for everyone else.
 */
const labels = new WeakMap<FastifyRequest, string>();

/** Called by the dispatcher once it has recognised the resource. */
export function labelRoute(request: FastifyRequest, route: string): void {
  labels.set(request, route);
}

/** The bounded route name the metrics count `request` under. */
export function routeLabel(request: FastifyRequest): string {
  switch (request.routeOptions.url) {
    case "/v2/":
    case "/v2":
      return "base";
    case "/v2/_catalog":
      return "catalog";
    default:
      return labels.get(request) ?? "other";
  }
}
