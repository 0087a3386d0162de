/**
 * The referrers tag schema (distribution-spec 1.1, "Referrers Tag Schema"):
 * before registries offered the referrers API, clients recorded the referrers
 * of `sha256:<hex>` in an image index tagged `sha256-<hex>`. Only sha256 maps
 * back to its subject: longer digests are truncated in the tag.
 */
const REFERRERS_TAG = /^sha256-([0-9a-f]{64})$/;

/** The subject digest a referrers tag stands for, or undefined for any other tag. */
export function subjectOfReferrersTag(tag: string): string | undefined {
  const hex = REFERRERS_TAG.exec(tag)?.[1];
  return hex === undefined ? undefined : `sha256:${hex}`;
}
