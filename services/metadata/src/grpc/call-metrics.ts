import { status } from "@grpc/grpc-js";
import { Counter, Histogram, type Registry } from "prom-client";

/**
 * Metadata calls are one or two queries: millisecond buckets, up to the
 * client's default deadline of 10 s, past which a call fails anyway.
 */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Which end of a call counts it: the names differ only in `server` or `client`. */
export type CallSide = "server" | "client";

/** Finished unary calls, as one end of the channel saw them. */
export interface CallMetrics {
  /** `path` is the call's `/package.Service/Method`; `seconds` from start to status. */
  handled(path: string, code: status, seconds: number): void;
}

/**
 * Registers `portfolio_grpc_<side>_handled_total{service,method,code}` and
 * `portfolio_grpc_<side>_handling_seconds{service,method}` on `registry`, the
 * names and labels of go-grpc-prometheus with our prefix (`grpc_type` left
 * out: every call of this API is unary). `code` is the status name of the
 * gRPC spec (`OK`, `NOT_FOUND`, `UNAVAILABLE`). A second registration on
 * the same registry shares the metrics of the first.
 */
export function registerCallMetrics(registry: Registry, side: CallSide): CallMetrics {
  const handled = sharedCounter(registry, side);
  const seconds = sharedHistogram(registry, side);
  return {
    handled(path, code, elapsed) {
      const { service, method } = methodOf(path);
      handled.inc({ service, method, code: status[code] ?? String(code) });
      seconds.observe({ service, method }, elapsed);
    },
  };
}

function sharedCounter(registry: Registry, side: CallSide): Counter {
  const name = `portfolio_grpc_${side}_handled_total`;
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({
    name,
    help: `gRPC calls completed on the ${side}, by service, method and status code`,
    labelNames: ["service", "method", "code"],
    registers: [registry],
  });
}

function sharedHistogram(registry: Registry, side: CallSide): Histogram {
  const name = `portfolio_grpc_${side}_handling_seconds`;
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Histogram) return existing;
  return new Histogram({
    name,
    help: `Time from a gRPC call's start to its status on the ${side}, by service and method`,
    labelNames: ["service", "method"],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
}

/** `/portfolio.metadata.v1.MetadataService/FindBlob` → its service and its method. */
function methodOf(path: string): { service: string; method: string } {
  const slash = path.lastIndexOf("/");
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}
