/** Bytes that a committed deletion left for storage to delete. */
export interface FreedBytes {
  storageKey: string;
  size: number;
}

/**
 * What a review decided, under the row locks it took:
 * - `gone`: nothing to review any more (already deleted);
 * - `kept`: referenced, or kept by policy;
 * - `later`: not yet old enough; review again at `at`;
 * - `deleted`: the metadata went in this transaction; `bytes`, when set, are
 *   to be deleted from storage once it commits, never before.
 */
export type ReviewOutcome =
  | { action: "gone" | "kept" }
  | { action: "later"; at: Date }
  | { action: "deleted"; bytes?: FreedBytes };

export const GONE: ReviewOutcome = { action: "gone" };
export const KEPT: ReviewOutcome = { action: "kept" };
export const DELETED: ReviewOutcome = { action: "deleted" };

/** `later` when `createdAt + ageMs` is still ahead of `now`, else undefined. */
export function notBefore(createdAt: Date, ageMs: number, now: Date): ReviewOutcome | undefined {
  const at = new Date(createdAt.getTime() + ageMs);
  return at > now ? { action: "later", at } : undefined;
}
