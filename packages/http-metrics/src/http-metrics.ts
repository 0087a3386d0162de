import { Counter, Histogram, type Registry } from "prom-client";

/**
 * Up to five minutes: a blob upload or pull can stream for that long, and a
 * histogram whose last bucket is 10 s would hide every slow transfer.
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** One finished request, as the metrics see it. */
export interface ObservedRequest {
  /** A bounded name (an OCI resource), never the raw URL: URLs hold digests and names. */
  route: string;
  method: string;
  status: number;
  seconds: number;
  bytesReceived: number;
  bytesSent: number;
}

/** The request metrics of one HTTP server, on a registry of the caller's. */
export interface HttpMetrics {
  observe(request: ObservedRequest): void;
}

/**
 * Registers `portfolio_http_requests_total{route,method,status}`,
 * `portfolio_http_request_duration_seconds{route,method}` and
 * `portfolio_http_bytes_received_total` / `_sent_total{route}` on `registry`.
 * The gateway and the blob service both report through this one definition,
 * so one dashboard reads both with the same names and labels.
 */
export function registerHttpMetrics(registry: Registry): HttpMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: "portfolio_http_requests_total",
    help: "HTTP requests answered, by route, method and status",
    labelNames: ["route", "method", "status"],
    registers,
  });
  const duration = new Histogram({
    name: "portfolio_http_request_duration_seconds",
    help: "Time from a request's arrival to the end of its response, by route and method",
    labelNames: ["route", "method"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const received = new Counter({
    name: "portfolio_http_bytes_received_total",
    help: "Request body bytes received, by route",
    labelNames: ["route"],
    registers,
  });
  const sent = new Counter({
    name: "portfolio_http_bytes_sent_total",
    help: "Response body bytes sent, by route",
    labelNames: ["route"],
    registers,
  });
  return {
    observe({ route, method, status, seconds, bytesReceived, bytesSent }) {
      requests.inc({ route, method, status: String(status) });
      duration.observe({ route, method }, seconds);
      // inc(0) still creates the series, so every route shows both byte counters.
      received.inc({ route }, bytesReceived);
      sent.inc({ route }, bytesSent);
    },
  };
}
