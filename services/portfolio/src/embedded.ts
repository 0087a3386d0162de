import type { AddressInfo } from "node:net";
import path from "node:path";
import { FilesystemBlobStorage } from "@portfolio/blobs";
import { buildGateway } from "@portfolio/gateway";
import { GarbageCollector, registerGcMetrics } from "@portfolio/gc";
import {
  createMetadataMetrics,
  type EventConsumer,
  InProcessEventPublisher,
  OutboxRelay,
  openEmbeddedDatabase,
  PrismaMetadataStore,
} from "@portfolio/metadata";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { accessControlFor } from "./auth-config";
import type { PortfolioConfig } from "./config";
import { createConsumers } from "./consumers";
import { readCollectorTiming, readGcPolicy } from "./gc-config";
import { processMetrics } from "./process-metrics";

/** A running embedded registry: one process, PGlite metadata, blobs on the filesystem. */
export interface EmbeddedRegistry {
  app: FastifyInstance;
  /** The base URL it answers on, e.g. http://127.0.0.1:5000. */
  url: string;
  /** Stops taking requests, lets those in flight finish, then closes the backends. */
  close(): Promise<void>;
}

/**
 * Data folder layout: `metadata/` holds the embedded Postgres, `blobs/` the
 * blob storage (see the filesystem driver for its own layout).
 *
 * Events: the outbox relay drains the same outbox as in the split deployment,
 * but hands each batch to the registry's own consumers in this process (the
 * referrers indexer and the garbage-collection feed, or `consumers`), so
 * there is no Kafka to install. It is the data dir's only relay (PGlite is one
 * process), hence no lock around a batch.
 *
 * The garbage collector runs here too, on the same database and storage,
 * configured by `gcEnv` (PORTFOLIO_GC_*, see gc-config.ts).
 *
 * Access control: with PORTFOLIO_AUTH_FILE set and no signing key given, the
 * built-in token service signs with a key it generates once and keeps in
 * `auth/token-key.pem`, so tokens outlive a restart.
 *
 * Metrics: the gateway's `/metrics` also shows what the split deployment
 * spreads over the metadata and collector roles (the outbox backlog, the
 * garbage-collection queue and what it reclaimed) and the process metrics.
 */
export async function startEmbedded(
  config: PortfolioConfig,
  logger: Logger,
  consumers: EventConsumer[] = createConsumers(process.env),
  gcEnv: NodeJS.ProcessEnv = process.env,
): Promise<EmbeddedRegistry> {
  // First, so a bad access file stops the start before the database is opened.
  const access = await accessControlFor(
    config.auth,
    path.join(config.dataDir, "auth", "token-key.pem"),
  );
  const database = await openEmbeddedDatabase(path.join(config.dataDir, "metadata"));
  const metadata = new PrismaMetadataStore(database);
  const storage = await FilesystemBlobStorage.open(path.join(config.dataDir, "blobs"));
  const metrics = createMetadataMetrics(database);
  const gcMetrics = registerGcMetrics(processMetrics(metrics.registry), database);
  const app = buildGateway({
    backends: { metadata, storage },
    // The only gateway of its database: a blob DELETE has no other leases to outwait.
    limits: { ...config.limits, blobLookupLeasesShared: false },
    logger,
    metrics: metrics.registry,
    access,
    trustProxy: config.trustProxy,
  });
  const publisher = new InProcessEventPublisher(database, consumers);
  const relay = new OutboxRelay(database, publisher, {
    coordination: "single",
    logger: logger.child({ component: "outbox-relay" }),
    onPublished: metrics.outbox.published,
  });
  const gc = new GarbageCollector({
    database,
    storage,
    policy: readGcPolicy(gcEnv),
    ...readCollectorTiming(gcEnv),
    logger: logger.child({ component: "collector" }),
    onReclaimed: (item) => gcMetrics.reclaimed(item),
  });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await Promise.all([metadata.close(), storage.close()]);
    throw error;
  }
  relay.start();
  gc.start();

  const { port } = app.server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    app,
    url: `http://${host}:${port}`,
    async close() {
      await app.close();
      await relay.stop();
      await gc.stop();
      await publisher.close();
      await Promise.all([metadata.close(), storage.close()]);
    },
  };
}
