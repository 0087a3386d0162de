import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from "node:crypto";
import {
  calculateJwkThumbprint,
  exportJWK,
  importPKCS8,
  importSPKI,
  type JWK,
  SignJWT,
} from "jose";
import type { Scope } from "./scope";

/** What the token endpoint answers with (Docker token specification, "Token Response Fields"). */
export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

export interface TokenIssuerOptions {
  /** The `iss` claim; verifiers trust tokens by it. */
  issuer: string;
  /** The `aud` claim: the registry's service name, as in the challenge's `service`. */
  service: string;
  /** Lifetime in seconds. */
  ttlSeconds: number;
}

/**
 * The built-in token service's signing side: JWTs in the shape of the Docker
 * token specification (`access` claim of granted scopes), signed with an EC
 * P-256 (ES256), RSA (RS256) or Ed25519 (EdDSA) private key, the `kid` being
 * the key's RFC 7638 thumbprint so verifiers can hold several keys at once
 * during a rotation.
 */
export class TokenIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicKey: CryptoKey,
    readonly publicJwk: JWK,
    private readonly algorithm: string,
    readonly options: TokenIssuerOptions,
  ) {}

  /** From a PEM private key (PKCS#8, or the older PKCS#1 and SEC1 forms). */
  static async fromPem(pem: string, options: TokenIssuerOptions): Promise<TokenIssuer> {
    const key = createPrivateKey(pem);
    const algorithm = signingAlgorithm(key);
    const pkcs8 = key.export({ type: "pkcs8", format: "pem" }).toString();
    const spki = createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
    const publicKey = await importSPKI(spki, algorithm, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    publicJwk.kid = await calculateJwkThumbprint(publicJwk);
    publicJwk.alg = algorithm;
    publicJwk.use = "sig";
    return new TokenIssuer(
      await importPKCS8(pkcs8, algorithm),
      publicKey,
      publicJwk,
      algorithm,
      options,
    );
  }

  async issue(subject: string | undefined, access: Scope[]): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ access })
      .setProtectedHeader({ alg: this.algorithm, kid: this.publicJwk.kid, typ: "JWT" })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.service)
      .setIssuedAt(now)
      // A little slack for the clocks of other gateway replicas.
      .setNotBefore(now - 5)
      .setExpirationTime(now + this.options.ttlSeconds)
      .setJti(randomUUID());
    if (subject !== undefined) jwt.setSubject(subject);
    return {
      token: await jwt.sign(this.privateKey),
      expiresIn: this.options.ttlSeconds,
      issuedAt: new Date(now * 1000).toISOString(),
    };
  }
}

/** A fresh EC P-256 signing key in PKCS#8 PEM, for an install that was given none. */
export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** The JWS algorithm a key signs with: one per key, so no token can choose another. */
export function signingAlgorithm(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === "ec" && curve === "prime256v1") return "ES256";
  if (type === "ec" && curve === "secp384r1") return "ES384";
  if (type === "rsa") return "RS256";
  if (type === "ed25519") return "EdDSA";
  throw new Error(`a token key must be EC P-256/P-384, RSA or Ed25519, not ${type}`);
}
