import { ServerInterceptingCall, type ServerInterceptor, status } from "@grpc/grpc-js";
import type { Registry } from "prom-client";
import { registerCallMetrics } from "./call-metrics";

/**
 * A server interceptor that counts every call on `registry` as
 * `portfolio_grpc_server_handled_total` and times it in
 * `portfolio_grpc_server_handling_seconds` (see call-metrics.ts), health
 * checks included. A call is counted once: with the status it was answered
 * with, or, when the client went away or its deadline passed first (grpc-js
 * then answers without the handler), as CANCELLED or DEADLINE_EXCEEDED.
 */
export function grpcServerMetrics(registry: Registry): ServerInterceptor {
  const metrics = registerCallMetrics(registry, "server");
  return (definition, call) => {
    const started = performance.now();
    let counted = false;
    const count = (code: status) => {
      if (counted) return;
      counted = true;
      metrics.handled(definition.path, code, (performance.now() - started) / 1000);
    };

    return new ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: () => count(cancelledCode(call.getDeadline())) }),
      sendStatus: (answered, next) => {
        count(answered.code);
        next(answered);
      },
    });
  };
}

function cancelledCode(deadline: Date | number): status {
  const passed = deadline !== Infinity && new Date(deadline).getTime() <= Date.now();
  return passed ? status.DEADLINE_EXCEEDED : status.CANCELLED;
}
