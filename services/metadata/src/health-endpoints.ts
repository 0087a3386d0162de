import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

export interface HealthEndpointsOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Resolves when the service can answer (say, the database pings); rejects otherwise. */
  ready: () => Promise<void>;
  /** When set, `/metrics` serves this registry's Prometheus text. */
  metrics?: Registry;
}

/** Plain HTTP probes beside the gRPC port, for orchestrators that speak HTTP only. */
export interface HealthEndpoints {
  readonly url: string;
  /** Makes `/readyz` answer 503 from now on, so traffic drains before the service stops. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * Serves `/healthz` (liveness: the process answers) and `/readyz`
 * (readiness: `ready()` resolves and the service is not draining), each with a
 * small JSON status, 200 or 503, and `/metrics` when given a registry;
 * anything else is 404.
 */
export async function startHealthEndpoints(
  options: HealthEndpointsOptions,
): Promise<HealthEndpoints> {
  let draining = false;
  const server = createServer((request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") return send(response, 405, {});
    if (request.url === "/healthz") return send(response, 200, { status: "ok" });
    if (request.url === "/metrics" && options.metrics) {
      return void sendMetrics(response, options.metrics, options.logger);
    }
    if (request.url !== "/readyz") return send(response, 404, {});
    readiness(options, draining).then((status) => send(response, status.code, status.body));
  });

  await listen(server, options.host, options.port);
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    drain: () => {
      draining = true;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function readiness(options: HealthEndpointsOptions, draining: boolean) {
  if (draining) return { code: 503, body: { status: "draining" } };
  try {
    await options.ready();
    return { code: 200, body: { status: "ready" } };
  } catch (error) {
    options.logger.warn({ err: error }, "not ready");
    return { code: 503, body: { status: "unavailable" } };
  }
}

function send(response: ServerResponse, code: number, body: object): void {
  const json = JSON.stringify(body);
  response.writeHead(code, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(json),
  });
  response.end(json);
}

async function sendMetrics(response: ServerResponse, registry: Registry, logger: Logger) {
  try {
    const text = await registry.metrics();
    response.writeHead(200, {
      "content-type": registry.contentType,
      "content-length": Buffer.byteLength(text),
    });
    response.end(text);
  } catch (error) {
    logger.warn({ err: error }, "metrics failed");
    send(response, 503, { status: "unavailable" });
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
