import path from "node:path";
import { HttpBlobStorage } from "@portfolio/blobs";
import type { BlobStorage } from "@portfolio/core";
import { type MetadataDatabase, openEmbeddedDatabase, openPostgres } from "@portfolio/metadata";
import { ConfigError, loadConfig } from "./config";
import { openStorage } from "./storage";

/** What the collector works on: the metadata database and the blob storage. */
export interface GcBackends {
  database: MetadataDatabase;
  storage: BlobStorage;
  close(): Promise<void>;
}

/**
 * The database of PORTFOLIO_DATABASE_URL, else the embedded one under
 * PORTFOLIO_DATA_DIR (only while no `portfolio serve` holds it: PGlite is one
 * process); the blob service at PORTFOLIO_BLOBS_URL, else the storage that
 * PORTFOLIO_STORAGE names (storage.ts), as `portfolio blobs` would open it.
 */
export async function openGcBackends(env: NodeJS.ProcessEnv): Promise<GcBackends> {
  const { dataDir } = loadConfig(env);
  const url = env.PORTFOLIO_DATABASE_URL;
  if (url && !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError("PORTFOLIO_DATABASE_URL must be postgres://…");
  }
  const database = url
    ? await openPostgres(url)
    : await openEmbeddedDatabase(path.join(dataDir, "metadata"));
  const storage = env.PORTFOLIO_BLOBS_URL
    ? new HttpBlobStorage({ url: env.PORTFOLIO_BLOBS_URL })
    : await openStorage(env, dataDir).catch(async (error: unknown) => {
        await database.close();
        throw error;
      });
  return {
    database,
    storage,
    async close() {
      await Promise.all([database.close(), storage.close()]);
    },
  };
}
