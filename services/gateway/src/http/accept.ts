import { IMAGE_MEDIA_TYPES, INDEX_MEDIA_TYPES } from "@portfolio/core";

const MANIFEST_MEDIA_TYPES = [...IMAGE_MEDIA_TYPES, ...INDEX_MEDIA_TYPES];

/**
 * Whether a client's `Accept` admits a stored manifest. Manifests are served
 * as pushed, never converted. A client that names manifest types and not this
 * one would reject the body, so it is told the manifest is unknown in that
 * form (as CNCF Distribution does); an absent header, a wildcard, or a list
 * naming no manifest type at all admits everything.
 */
export function accepts(header: string | string[] | undefined, mediaType: string): boolean {
  const types = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.split(";")[0]!.trim().toLowerCase())
    .filter((type) => type !== "");

  if (types.some((type) => type === "*/*" || type === "application/*")) return true;
  if (!types.some((type) => MANIFEST_MEDIA_TYPES.includes(type))) return true;
  return types.includes(mediaType);
}
