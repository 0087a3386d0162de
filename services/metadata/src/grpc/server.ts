import { Server, ServerCredentials } from "@grpc/grpc-js";
import type { MetadataStore } from "@portfolio/core";
import { metadataV1 } from "@portfolio/proto";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { grpcServerMetrics } from "./server-metrics";
import { metadataService } from "./service";
import { messageSizeOptions } from "./transport";

/** The name under which the health service reports the metadata service. */
export const METADATA_SERVICE_NAME = `${metadataV1.protobufPackage}.MetadataService`;

export interface MetadataServerOptions {
  /** host:port to listen on; port 0 picks a free port. */
  address: string;
  logger: Logger;
  /** The largest message accepted or sent; 16 MiB unless set. */
  maxMessageBytes?: number;
  /** When set, every call is counted and timed on this registry (server-metrics.ts). */
  metrics?: Registry;
}

/** A running metadata gRPC server. It does not own the store: whoever opened it closes it. */
export interface MetadataServer {
  /** The bound host:port, with the port chosen when 0 was asked for. */
  readonly address: string;
  readonly port: number;
  /**
   * Reports NOT_SERVING, stops taking calls and lets those in flight finish;
   * after `graceMs` (10 s unless set) cancels whatever still runs.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves the MetadataService over `store`, with the standard gRPC health
 * service (grpc.health.v1) answering SERVING for the server as a whole and
 * for METADATA_SERVICE_NAME. Plaintext: the service sits inside the cluster
 * network, behind the gateway.
 */
export async function startMetadataServer(
  store: MetadataStore,
  options: MetadataServerOptions,
): Promise<MetadataServer> {
  const server = new Server({
    ...messageSizeOptions(options.maxMessageBytes),
    interceptors: options.metrics ? [grpcServerMetrics(options.metrics)] : [],
  });
  server.addService(metadataV1.MetadataServiceService, metadataService(store, options.logger));
  const health = new HealthImplementation({ "": "SERVING", [METADATA_SERVICE_NAME]: "SERVING" });
  health.addToServer(server);

  const port = await bind(server, options.address);
  const host = options.address.slice(0, options.address.lastIndexOf(":"));
  return {
    address: `${host}:${port}`,
    port,
    close(graceMs = 10_000) {
      health.setStatus("", "NOT_SERVING");
      health.setStatus(METADATA_SERVICE_NAME, "NOT_SERVING");
      return shutdown(server, graceMs);
    },
  };
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
