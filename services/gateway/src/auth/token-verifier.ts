import { BackendUnavailableError } from "@portfolio/core";
import { createRemoteJWKSet, decodeJwt, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { Scope } from "./scope";

/** An issuer whose tokens this registry accepts. */
export interface TrustedIssuer {
  /** The `iss` claim its tokens carry. */
  issuer: string;
  /** The `aud` claim they must carry: this registry's service name. */
  audience: string;
  /** Its public key, or its JWKS (remote, fetched and cached by jose). */
  key: CryptoKey | JWTVerifyGetKey;
  /** The built-in token service: its subjects are accounts of the access file. */
  builtIn?: boolean;
}

/** What a valid token says. */
export interface VerifiedToken {
  issuer: string;
  subject?: string;
  access: Scope[];
  builtIn: boolean;
}

/** Why a token was refused; the message goes to the client. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/** Clocks of an identity provider and a registry are never quite equal. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Checks bearer tokens: signature by the issuer's key, `iss`, `aud`, `exp`
 * and `nbf`. Which key is decided by the token's `iss` (read before
 * verifying, then verified against that issuer only), so one registry can
 * trust its built-in service and an identity provider side by side.
 */
export class TokenVerifier {
  private readonly issuers: ReadonlyMap<string, TrustedIssuer>;

  constructor(issuers: readonly TrustedIssuer[]) {
    this.issuers = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  }

  get empty(): boolean {
    return this.issuers.size === 0;
  }

  async verify(token: string): Promise<VerifiedToken> {
    let issuer: TrustedIssuer | undefined;
    try {
      const claimed = decodeJwt(token).iss;
      issuer = claimed === undefined ? undefined : this.issuers.get(claimed);
    } catch {
      throw new InvalidTokenError("the token is not a JWT");
    }
    if (!issuer) throw new InvalidTokenError("the token's issuer is not trusted");

    try {
      const { payload } = await jwtVerify(token, issuer.key as JWTVerifyGetKey, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp"],
      });
      return {
        issuer: issuer.issuer,
        subject: payload.sub || undefined,
        access: accessClaim(payload.access),
        builtIn: issuer.builtIn === true,
      };
    } catch (error) {
      // The issuer's keys could not be fetched: nothing is known about the token, so the
      // client is told to retry (503), not to sign in again; the gateway logs the cause.
      if (keysUnavailable(error)) {
        throw new BackendUnavailableError(`the keys of issuer ${issuer.issuer}`, { cause: error });
      }
      throw new InvalidTokenError(refusal(error));
    }
  }
}

function keysUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  return !(error instanceof errors.JOSEError);
}

/** A JWKS endpoint, fetched on first use and when an unknown `kid` appears. */
export function remoteJwks(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
}

function refusal(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the token's ${error.claim} claim is not accepted`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "the token's signature is wrong";
  if (error instanceof errors.JOSEError) return `the token is not accepted (${error.code})`;
  return "the token is not accepted";
}

/** The `access` claim, keeping only well-formed entries. */
function accessClaim(value: unknown): Scope[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const { type, name, actions } = (entry ?? {}) as Record<string, unknown>;
    if (typeof type !== "string" || typeof name !== "string" || !Array.isArray(actions)) return [];
    return [{ type, name, actions: actions.filter((a): a is string => typeof a === "string") }];
  });
}
