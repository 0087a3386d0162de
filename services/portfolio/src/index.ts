export { accessControlFor } from "./auth-config";
export { ConfigError, loadConfig, type PortfolioConfig } from "./config";
export { applyConfigFile } from "./config-file";
export { createConsumers } from "./consumers";
export { type EmbeddedRegistry, startEmbedded } from "./embedded";
export { createLogger } from "./logger";
