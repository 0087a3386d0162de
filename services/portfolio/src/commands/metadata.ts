import {
  createMetadataMetrics,
  type HealthEndpointsOptions,
  openPostgres,
  PrismaMetadataStore,
  startHealthEndpoints,
  startMetadataServer,
} from "@portfolio/metadata";
import type { Logger } from "pino";
import { ConfigError, loadConfig } from "../config";
import { readKafkaRelayConfig, startKafkaRelay } from "../kafka-relay";
import { runUntilSignalled } from "../lifecycle";
import { formatListen, type ListenAddress, listenAddress } from "../listen";
import { createLogger } from "../logger";
import { processMetrics } from "../process-metrics";

/**
 * `portfolio metadata`: the metadata service as its own process, serving a
 * Postgres database over gRPC to gateways that use GrpcMetadataStore.
 *
 *   PORTFOLIO_DATABASE_URL     postgres://user:password@host:port/database (required)
 *   PORTFOLIO_METADATA_LISTEN  gRPC host:port, default 127.0.0.1:5001 ([::1]:5001 for IPv6)
 *   PORTFOLIO_METADATA_HTTP    /healthz, /readyz and /metrics host:port, default 127.0.0.1:5011
 *                              (outbox, gRPC calls by method and code, process)
 *   PORTFOLIO_LOG_LEVEL        default info
 *   PORTFOLIO_KAFKA_*          the outbox relay to Kafka, when brokers are set (kafka-relay.ts)
 *
 * Pending migrations are applied at start. On SIGTERM readiness fails first,
 * then calls in flight finish, then the relay finishes its batch, before the
 * database closes.
 */
export async function metadata(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const databaseUrl = requireDatabaseUrl(env);
  const listen = listenAddress(env, "PORTFOLIO_METADATA_LISTEN", "127.0.0.1:5001");
  const http = listenAddress(env, "PORTFOLIO_METADATA_HTTP", "127.0.0.1:5011");
  const logger = createLogger(loadConfig(env).logLevel).child({ role: "metadata" });
  const kafka = readKafkaRelayConfig(env);

  const database = await openPostgres(databaseUrl.href);
  const store = new PrismaMetadataStore(database);
  const metrics = createMetadataMetrics(database);
  processMetrics(metrics.registry);
  const started = await startServers(
    store,
    formatListen(listen),
    http,
    logger,
    metrics.registry,
  ).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const relay = kafka && startKafkaRelay(database, kafka, logger, metrics.outbox.published);
  logger.info(
    { address: started.server.address, health: started.health.url, database: databaseUrl.host },
    "metadata service listening",
  );

  runUntilSignalled(logger, async () => {
    started.health.drain();
    await started.server.close();
    await relay?.stop();
    await started.health.close();
    await store.close();
  });
}

async function startServers(
  store: PrismaMetadataStore,
  address: string,
  http: ListenAddress,
  logger: Logger,
  metrics: HealthEndpointsOptions["metrics"],
) {
  const server = await startMetadataServer(store, { address, logger, metrics });
  try {
    const health = await startHealthEndpoints({
      ...http,
      logger,
      ready: () => store.ping(),
      metrics,
    });
    return { server, health };
  } catch (error) {
    await server.close(0);
    throw error;
  }
}

function requireDatabaseUrl(env: NodeJS.ProcessEnv): URL {
  const value = env.PORTFOLIO_DATABASE_URL;
  if (!value) throw new ConfigError("PORTFOLIO_DATABASE_URL is required (postgres://…)");
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== "postgres:" && url?.protocol !== "postgresql:") {
    throw new ConfigError("PORTFOLIO_DATABASE_URL must be a postgres:// URL");
  }
  return url;
}
