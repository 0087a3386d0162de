import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  type AccessControl,
  AccessFileError,
  type AccessSettings,
  createAccessControl,
  generateSigningKeyPem,
  parseAccessFile,
} from "@portfolio/gateway";
import { ConfigError, integer } from "./env";

/** Access control's settings as read from the environment; the signing key is still a file name. */
export type AuthConfig = Omit<AccessSettings, "signingKeyPem"> & { signingKeyFile?: string };

/**
 * Access control is on when PORTFOLIO_AUTH_FILE names an access file (see
 * docs/access-control.md); without it the registry is open to anyone who
 * reaches it, as Distribution is by default.
 */
export function loadAuthConfig(env: NodeJS.ProcessEnv): AuthConfig | undefined {
  const file = env.PORTFOLIO_AUTH_FILE;
  if (!file) return undefined;

  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read PORTFOLIO_AUTH_FILE: ${(error as Error).message}`);
  }
  try {
    return {
      file: parseAccessFile(text, file),
      service: env.PORTFOLIO_AUTH_SERVICE || "portfolio",
      realm: realm(env.PORTFOLIO_AUTH_REALM),
      signingKeyFile: env.PORTFOLIO_AUTH_TOKEN_KEY_FILE || undefined,
      tokenIssuer: env.PORTFOLIO_AUTH_TOKEN_ISSUER || "portfolio-token-service",
      tokenTtlSeconds: integer(env, "PORTFOLIO_AUTH_TOKEN_TTL_SECONDS", 300, 30, 86_400),
      failuresPerMinute: integer(env, "PORTFOLIO_AUTH_FAILURES_PER_MINUTE", 10, 1),
      requestsPerSecond: integer(env, "PORTFOLIO_RATE_LIMIT_PER_SECOND", 0, 0),
    };
  } catch (error) {
    if (error instanceof AccessFileError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * Builds access control. The built-in token service signs with
 * PORTFOLIO_AUTH_TOKEN_KEY_FILE; the embedded registry, being one process,
 * may instead keep a key it generates in its data folder (`generatedKeyFile`),
 * whereas gateway replicas must share one key and so must be given it.
 */
export async function accessControlFor(
  auth: AuthConfig | undefined,
  generatedKeyFile?: string,
): Promise<AccessControl | undefined> {
  if (!auth) return undefined;
  const signingKeyPem = readSigningKey(auth, generatedKeyFile);
  try {
    return await createAccessControl({ ...auth, signingKeyPem });
  } catch (error) {
    throw new ConfigError(`access control: ${(error as Error).message}`);
  }
}

function readSigningKey(auth: AuthConfig, generatedKeyFile: string | undefined) {
  if (auth.signingKeyFile) {
    try {
      return readFileSync(auth.signingKeyFile, "utf8");
    } catch (error) {
      throw new ConfigError(
        `cannot read PORTFOLIO_AUTH_TOKEN_KEY_FILE: ${(error as Error).message}`,
      );
    }
  }
  // Tokens come from an outside service only.
  if (auth.realm && auth.file.issuers.length > 0) return undefined;
  if (!generatedKeyFile) {
    throw new ConfigError(
      "PORTFOLIO_AUTH_TOKEN_KEY_FILE is required: gateway replicas must sign with one key",
    );
  }
  try {
    return readFileSync(generatedKeyFile, "utf8");
  } catch {
    mkdirSync(path.dirname(generatedKeyFile), { recursive: true, mode: 0o700 });
    const pem = generateSigningKeyPem();
    writeFileSync(generatedKeyFile, pem, { mode: 0o600, flag: "wx" });
    return pem;
  }
}

function realm(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigError(`PORTFOLIO_AUTH_REALM must be an http(s) URL, not ${value}`);
  }
  return value;
}
