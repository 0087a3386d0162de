export { ConfigError, loadConfig, type PortfolioConfig } from "./config";
export { type EmbeddedRegistry, startEmbedded } from "./embedded";
export { createLogger } from "./logger";
