import type { IncomingMessage, ServerResponse } from "node:http";
import { countBodyBytes, type HttpMetrics, registerHttpMetrics } from "@portfolio/http-metrics";
import type { Registry } from "prom-client";

/** Probes and scrapes are not traffic: counting them would only measure the monitoring. */
const UNMEASURED = /^\/(?:metrics|healthz|readyz)(?:\?|$)/;

/** Names the route a request is counted under, once the router has found it. */
export type RouteNamer = (route: string) => void;

/** The blob service's request metrics and its `/metrics` page. */
export class RequestMetrics {
  private readonly http: HttpMetrics;

  constructor(readonly registry: Registry) {
    this.http = registerHttpMetrics(registry);
  }

  /**
   * Starts measuring a request; it is counted when its response closes, as
   * "other" unless named. Call it as the request arrives, before any of its
   * body can have been read, so every body byte is counted.
   */
  track(request: IncomingMessage, response: ServerResponse): RouteNamer {
    if (UNMEASURED.test(request.url ?? "")) return () => undefined;
    let route = "other";
    const started = performance.now();
    const bytes = countBodyBytes(request, response);
    response.once("close", () => {
      this.http.observe({
        route,
        method: request.method ?? "GET",
        status: response.statusCode,
        seconds: (performance.now() - started) / 1000,
        bytesReceived: bytes.received,
        bytesSent: bytes.sent,
      });
    });
    return (name) => {
      route = name;
    };
  }

  /** Answers a scrape with the registry's Prometheus text. */
  async serve(response: ServerResponse): Promise<void> {
    const text = await this.registry.metrics();
    response.writeHead(200, {
      "content-type": this.registry.contentType,
      "content-length": Buffer.byteLength(text),
    });
    response.end(text);
  }
}
