/**
 * What the collector may delete and when. Every age is measured from the
 * database's `created_at` of the row in question, so a slow queue or a late
 * event never shortens it.
 */
export interface GcPolicy {
  /**
   * How long a blob link may stay unreferenced before it goes (a push uploads
   * its blobs before its manifest) and how long a referrer of a missing
   * subject waits for it (a referrer may be pushed before its subject).
   */
  reviewDelayMs: number;
  /** Manifests that no tag points to and no index lists: kept, or deleted once old. */
  untagged: "keep" | "delete";
  untaggedAgeMs: number;
  /** Referrers of a deleted subject: kept, or deleted with it. */
  referrers: "keep" | "delete-with-subject";
  /** How old a stored object with no metadata must be before it goes (see orphans.ts). */
  orphanGraceMs: number;
}

const HOUR = 60 * 60 * 1000;

/** Safe defaults: nothing a user pushed goes unless they deleted what referenced it. */
export const DEFAULT_GC_POLICY: GcPolicy = {
  reviewDelayMs: 24 * HOUR,
  untagged: "keep",
  untaggedAgeMs: 24 * HOUR,
  referrers: "keep",
  orphanGraceMs: 24 * HOUR,
};
