import path from "node:path";
import { DEFAULT_LIMITS, type RegistryLimits } from "@portfolio/gateway";

/** The embedded registry's configuration; every field has an environment variable. */
export interface PortfolioConfig {
  /** PORTFOLIO_HOST, default 127.0.0.1. */
  host: string;
  /** PORTFOLIO_PORT, default 5000; 0 picks a free port. */
  port: number;
  /** PORTFOLIO_DATA_DIR, default ./data: the database and the blobs live under it. */
  dataDir: string;
  /** PORTFOLIO_LOG_LEVEL, default info. */
  logLevel: string;
  /**
   * PORTFOLIO_UPLOAD_TTL_SECONDS, PORTFOLIO_MAX_MANIFEST_BYTES, and the blob
   * redirect: PORTFOLIO_BLOB_REDIRECT (true or false, default false) and
   * PORTFOLIO_BLOB_REDIRECT_SECONDS (default 300, at most 7 days, SigV4's limit).
   */
  limits: RegistryLimits;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PortfolioConfig {
  const logLevel = env.PORTFOLIO_LOG_LEVEL ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`PORTFOLIO_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }

  return {
    host: env.PORTFOLIO_HOST || "127.0.0.1",
    port: integer(env, "PORTFOLIO_PORT", 5000, 0, 65535),
    dataDir: path.resolve(env.PORTFOLIO_DATA_DIR || "data"),
    logLevel,
    limits: {
      uploadTtlMs:
        integer(env, "PORTFOLIO_UPLOAD_TTL_SECONDS", DEFAULT_LIMITS.uploadTtlMs / 1000, 1) * 1000,
      maxManifestBytes: integer(
        env,
        "PORTFOLIO_MAX_MANIFEST_BYTES",
        DEFAULT_LIMITS.maxManifestBytes,
        4 * 1024 * 1024,
      ),
      blobRedirectSeconds: flag(env, "PORTFOLIO_BLOB_REDIRECT")
        ? integer(env, "PORTFOLIO_BLOB_REDIRECT_SECONDS", 300, 1, 7 * 24 * 60 * 60)
        : undefined,
    },
  };
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  throw new ConfigError(`${name} must be true or false, not ${raw}`);
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;

  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not ${raw}`);
  }
  return value;
}
