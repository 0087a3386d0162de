import { type ServiceError, status } from "@grpc/grpc-js";
import { DomainError, type MetadataStore } from "@portfolio/core";
import { metadataV1 } from "@portfolio/proto";
import type { Registry } from "prom-client";
import { registerCallMetrics } from "./call-metrics";
import { detailOf, statusOf } from "./domain-error-detail";

/** The gRPC path of each store method that is one call (all but `close`). */
const PATHS: ReadonlyMap<PropertyKey, string> = new Map(
  Object.entries(metadataV1.MetadataServiceService).map(([method, { path }]) => [method, path]),
);

/**
 * `store` (a GrpcMetadataStore) with each of its calls counted on `registry`
 * as `portfolio_grpc_client_handled_total` and timed in
 * `portfolio_grpc_client_handling_seconds` (see call-metrics.ts). Each store
 * method is exactly one unary call, so timing the method times the call.
 *
 * The client turns failed calls into domain errors (client-errors.ts); the
 * status is read back from what it kept: the gRPC error it left as `cause`,
 * or else the status a domain error crosses the boundary with. Anything else
 * (a response the client could not read) counts as UNKNOWN. The returned
 * store is the same object behind a proxy: closing either closes both.
 */
export function withGrpcClientMetrics<S extends MetadataStore>(store: S, registry: Registry): S {
  const metrics = registerCallMetrics(registry, "client");
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      const path = PATHS.get(key);
      if (path === undefined || typeof value !== "function") return value;

      return async (...args: unknown[]) => {
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        try {
          const result = await value.apply(target, args);
          metrics.handled(path, status.OK, seconds());
          return result;
        } catch (error) {
          metrics.handled(path, codeOf(error), seconds());
          throw error;
        }
      };
    },
  });
}

function codeOf(error: unknown): status {
  const cause = error instanceof Error ? error.cause : undefined;
  if (isServiceError(cause)) return cause.code;
  const detail = error instanceof DomainError ? detailOf(error) : undefined;
  return detail === undefined ? status.UNKNOWN : statusOf(detail);
}

function isServiceError(value: unknown): value is ServiceError {
  return value instanceof Error && typeof (value as Partial<ServiceError>).code === "number";
}
