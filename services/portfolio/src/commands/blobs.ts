import path from "node:path";
import { BlobServer, FilesystemBlobStorage } from "@portfolio/blobs";
import type { BlobStorage } from "@portfolio/core";
import { ConfigError, loadConfig } from "../config";
import { runUntilSignalled } from "../lifecycle";
import { createLogger } from "../logger";

/**
 * `portfolio blobs`: the blob service as its own process, serving a storage
 * driver over HTTP to gateways that use HttpBlobStorage.
 *
 *   PORTFOLIO_BLOBS_LISTEN  host:port to listen on, default 127.0.0.1:5002 ([::1]:5002 for IPv6)
 *   PORTFOLIO_STORAGE       the driver: filesystem (default)
 *   PORTFOLIO_DATA_DIR      filesystem blobs live in its blobs/ folder, as in `portfolio serve`
 *   PORTFOLIO_LOG_LEVEL     default info
 */
export async function blobs(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const listen = parseListen(env.PORTFOLIO_BLOBS_LISTEN || "127.0.0.1:5002");
  const logger = createLogger(config.logLevel).child({ role: "blobs" });
  const storage = await openStorage(env.PORTFOLIO_STORAGE || "filesystem", config.dataDir);
  const server = new BlobServer({ storage, logger });

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

async function openStorage(kind: string, dataDir: string): Promise<BlobStorage> {
  if (kind === "filesystem") return FilesystemBlobStorage.open(path.join(dataDir, "blobs"));
  throw new ConfigError(`PORTFOLIO_STORAGE must be filesystem, not ${kind}`);
}

/** `host:port`, with an IPv6 host in brackets. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new ConfigError(`PORTFOLIO_BLOBS_LISTEN must be host:port, not ${value}`);
  }
  return { host: match[1] ?? match[2] ?? "", port };
}
