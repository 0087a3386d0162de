import { loadConfig } from "../config";
import { startEmbedded } from "../embedded";
import { runUntilSignalled } from "../lifecycle";
import { createLogger } from "../logger";

/** `portfolio serve` (the default): the whole registry in one process. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const registry = await startEmbedded(config, logger);
  const accessControl = config.auth ? "on" : "off: anyone who reaches it may push and delete";
  logger.info({ url: registry.url, dataDir: config.dataDir, accessControl }, "registry listening");

  runUntilSignalled(logger, () => registry.close());
}
