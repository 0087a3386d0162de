import { createHash, type Hash } from "node:crypto";

/** The digest algorithms this registry can verify (OCI image-spec, descriptor.md). */
export const SUPPORTED_ALGORITHMS = ["sha256", "sha512"] as const;
export type DigestAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

// The generic grammar: `algorithm:encoded`, where the algorithm is lower-case
// components joined by `+ . _ -`.
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly encoded: string;
  readonly digest: string;
}

/**
 * Parses a digest this registry can verify. Returns undefined for anything
 * malformed or of an algorithm it does not support, both of which the API
 * answers with DIGEST_INVALID.
 */
export function parseDigest(value: string): ParsedDigest | undefined {
  if (!DIGEST_GRAMMAR.test(value)) return undefined;

  const separator = value.indexOf(":");
  const algorithm = value.slice(0, separator);
  const encoded = value.slice(separator + 1);
  if (!isSupportedAlgorithm(algorithm)) return undefined;
  if (encoded.length !== ENCODED_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(encoded)) {
    return undefined;
  }

  return { algorithm, encoded, digest: value };
}

/** True when the value has the shape of a digest (`alg:encoded`), supported or not. */
export function looksLikeDigest(value: string): boolean {
  return value.includes(":");
}

export function isSupportedAlgorithm(value: string): value is DigestAlgorithm {
  return (SUPPORTED_ALGORITHMS as readonly string[]).includes(value);
}

/** Starts an incremental hash for the algorithm. */
export function createDigester(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

/** The digest of bytes held in memory (manifests, small test content). */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}
