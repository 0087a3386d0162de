import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { importSPKI } from "jose";
import { AccessControl } from "./access-control";
import type { AccessFile, IssuerEntry } from "./access-file";
import { AccessPolicy } from "./access-policy";
import { Accounts } from "./accounts";
import { RateLimiter } from "./rate-limiter";
import { signingAlgorithm, TokenIssuer } from "./token-issuer";
import { remoteJwks, TokenVerifier, type TrustedIssuer } from "./token-verifier";

export interface AccessSettings {
  file: AccessFile;
  /** The service name of challenges and tokens. */
  service: string;
  /** An outside token service to send clients to, instead of the built-in one. */
  realm?: string;
  /** The built-in token service's signing key (PEM); without it there is no built-in service. */
  signingKeyPem?: string;
  /** The `iss` of the built-in service's tokens. */
  tokenIssuer: string;
  tokenTtlSeconds: number;
  /** Failed sign-ins allowed per client address and minute. */
  failuresPerMinute: number;
  /** Requests allowed per client and second; 0 for no limit. */
  requestsPerSecond: number;
}

/** Builds access control from its settings; throws when they cannot work together. */
export async function createAccessControl(settings: AccessSettings): Promise<AccessControl> {
  const { file, service } = settings;
  const issuer = settings.signingKeyPem
    ? await TokenIssuer.fromPem(settings.signingKeyPem, {
        issuer: settings.tokenIssuer,
        service,
        ttlSeconds: settings.tokenTtlSeconds,
      }).catch((error: Error) => {
        throw new Error(`the token signing key is no usable private key: ${error.message}`);
      })
    : undefined;
  if (!issuer && !settings.realm) {
    throw new Error("access control needs a token signing key, or a realm to send clients to");
  }

  const trusted: TrustedIssuer[] = await Promise.all(
    file.issuers.map((entry) => trustedIssuer(entry, service)),
  );
  if (issuer) {
    trusted.push({
      issuer: settings.tokenIssuer,
      audience: service,
      key: issuer.publicKey,
      builtIn: true,
    });
  }
  return new AccessControl({
    service,
    realm: settings.realm,
    policy: new AccessPolicy(file.repositories),
    accounts: new Accounts(file.users, file.robots),
    issuer,
    verifier: new TokenVerifier(trusted),
    failures: new RateLimiter(settings.failuresPerMinute, 60_000),
    requests:
      settings.requestsPerSecond > 0
        ? new RateLimiter(settings.requestsPerSecond, 1000)
        : undefined,
  });
}

async function trustedIssuer(entry: IssuerEntry, service: string): Promise<TrustedIssuer> {
  const audience = entry.audience ?? service;
  try {
    if (entry.jwksUrl) return { issuer: entry.issuer, audience, key: remoteJwks(entry.jwksUrl) };

    const pem = entry.publicKey ?? readFileSync(entry.publicKeyFile as string, "utf8");
    const key = createPublicKey(pem);
    const spki = key.export({ type: "spki", format: "pem" }).toString();
    return { issuer: entry.issuer, audience, key: await importSPKI(spki, signingAlgorithm(key)) };
  } catch (error) {
    throw new Error(`issuer ${entry.issuer}: no usable public key: ${(error as Error).message}`);
  }
}
