#!/usr/bin/env node
import { ConfigError, loadConfig } from "./config";
import { startEmbedded } from "./embedded";
import { createLogger } from "./logger";

/**
 * `portfolio`: runs the registry in one process on the embedded default.
 * Configuration comes from the environment (see docs/configuration.md).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const registry = await startEmbedded(config, logger);
  logger.info({ url: registry.url, dataDir: config.dataDir }, "registry listening");

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    registry.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : String(error);
  process.stderr.write(`portfolio: ${message}\n`);
  if (!(error instanceof ConfigError) && error instanceof Error)
    process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
