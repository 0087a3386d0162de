import { isIP } from "node:net";
import path from "node:path";
import { DEFAULT_LIMITS, type RegistryLimits } from "@portfolio/gateway";
import { type AuthConfig, loadAuthConfig } from "./auth-config";
import { ConfigError, flag, integer } from "./env";

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
   * PORTFOLIO_BLOB_REDIRECT_SECONDS (default 300, at most 7 days, SigV4's limit);
   * PORTFOLIO_BLOB_LOOKUP_LEASE_MS (default 2000, 0 to 60000): how long a gateway
   * reuses a blob lookup, and so how long a blob DELETE waits in a split deployment.
   */
  limits: RegistryLimits;
  /** Access control, when PORTFOLIO_AUTH_FILE is set (PORTFOLIO_AUTH_*, see auth-config.ts). */
  auth?: AuthConfig;
  /**
   * PORTFOLIO_TRUST_PROXY: whom to believe about client addresses behind an
   * ingress: `true` (any proxy), or the proxies' addresses/CIDRs, comma-separated.
   * Default: nobody (the client address is the peer's).
   */
  trustProxy: boolean | string;
}

export { ConfigError } from "./env";

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
      blobLookupLeaseMs: integer(
        env,
        "PORTFOLIO_BLOB_LOOKUP_LEASE_MS",
        DEFAULT_LIMITS.blobLookupLeaseMs,
        0,
        60_000,
      ),
      blobLookupLeasesShared: DEFAULT_LIMITS.blobLookupLeasesShared,
    },
    auth: loadAuthConfig(env),
    trustProxy: trustProxy(env.PORTFOLIO_TRUST_PROXY),
  };
}

function trustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  for (const entry of raw.split(",").map((part) => part.trim())) {
    const [address, bits, ...rest] = entry.split("/");
    const valid =
      address !== undefined &&
      isIP(address) !== 0 &&
      rest.length === 0 &&
      (bits === undefined || /^\d{1,3}$/.test(bits));
    if (!valid) {
      throw new ConfigError(
        `PORTFOLIO_TRUST_PROXY must be true, false, or comma-separated addresses/CIDRs, not ${raw}`,
      );
    }
  }
  return raw;
}
