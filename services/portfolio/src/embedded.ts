import type { AddressInfo } from "node:net";
import path from "node:path";
import { FilesystemBlobStorage } from "@portfolio/blobs";
import { buildGateway } from "@portfolio/gateway";
import { openEmbeddedDatabase, PrismaMetadataStore } from "@portfolio/metadata";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { PortfolioConfig } from "./config";

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
 */
export async function startEmbedded(
  config: PortfolioConfig,
  logger: Logger,
): Promise<EmbeddedRegistry> {
  const database = await openEmbeddedDatabase(path.join(config.dataDir, "metadata"));
  const metadata = new PrismaMetadataStore(database);
  const storage = await FilesystemBlobStorage.open(path.join(config.dataDir, "blobs"));
  const app = buildGateway({ backends: { metadata, storage }, limits: config.limits, logger });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await Promise.all([metadata.close(), storage.close()]);
    throw error;
  }

  const { port } = app.server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    app,
    url: `http://${host}:${port}`,
    async close() {
      await app.close();
      await Promise.all([metadata.close(), storage.close()]);
    },
  };
}
