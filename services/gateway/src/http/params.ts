import {
  isValidRepositoryName,
  isValidTag,
  looksLikeDigest,
  type ManifestReference,
  OciError,
  type ParsedDigest,
  parseDigest,
} from "@portfolio/core";

export function requireRepositoryName(name: string): string {
  if (!isValidRepositoryName(name)) {
    throw new OciError("NAME_INVALID", `invalid repository name: ${name}`);
  }
  return name;
}

export function requireDigest(value: string | undefined): ParsedDigest {
  const digest = value === undefined ? undefined : parseDigest(value);
  if (!digest) {
    throw new OciError("DIGEST_INVALID", `invalid or unsupported digest: ${value ?? "(none)"}`);
  }
  return digest;
}

/**
 * A manifest reference for reading: a digest, or a tag. A string that is
 * neither cannot name anything, so reads answer it with MANIFEST_UNKNOWN
 * (the conformance suite expects 404 for an invalid tag on GET and HEAD).
 */
export function readReference(reference: string): ManifestReference {
  if (looksLikeDigest(reference)) return { digest: requireDigest(reference).digest };
  if (!isValidTag(reference)) throw new OciError("MANIFEST_UNKNOWN");
  return { tag: reference };
}

/** A manifest reference for writing: a digest, or a tag that must be valid. */
export function writeReference(reference: string): { digest: ParsedDigest } | { tag: string } {
  if (looksLikeDigest(reference)) return { digest: requireDigest(reference) };
  if (!isValidTag(reference)) throw new OciError("MANIFEST_INVALID", `invalid tag: ${reference}`);
  return { tag: reference };
}
