import { BlobServer } from "@portfolio/blobs";
import { loadConfig } from "../config";
import { runUntilSignalled } from "../lifecycle";
import { listenAddress } from "../listen";
import { createLogger } from "../logger";
import { processMetrics } from "../process-metrics";
import { openStorage } from "../storage";

/**
 * `portfolio blobs`: the blob service as its own process, serving a storage
 * driver over HTTP to gateways that use HttpBlobStorage, and `/metrics` on the same port.
 *
 *   PORTFOLIO_BLOBS_LISTEN  host:port to listen on, default 127.0.0.1:5002 ([::1]:5002 for IPv6)
 *   PORTFOLIO_STORAGE       the driver: filesystem (default) or s3 (see ../storage.ts)
 *   PORTFOLIO_DATA_DIR      filesystem blobs live in its blobs/ folder, as in `portfolio serve`
 *   PORTFOLIO_LOG_LEVEL     default info
 */
export async function blobs(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const listen = listenAddress(env, "PORTFOLIO_BLOBS_LISTEN", "127.0.0.1:5002");
  const logger = createLogger(config.logLevel).child({ role: "blobs" });
  const storage = await openStorage(env, config.dataDir);
  const server = new BlobServer({ storage, logger, metrics: processMetrics() });

  const url = await server.listen(listen.port, listen.host).catch(async (error: unknown) => {
    await storage.close();
    throw error;
  });
  logger.info({ url, storage: env.PORTFOLIO_STORAGE || "filesystem" }, "blob service listening");

  // Transfers under way finish before the driver closes; new connections are refused meanwhile.
  runUntilSignalled(logger, async () => {
    await server.close();
    await storage.close();
  });
}
