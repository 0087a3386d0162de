import { type Db, deleteManifest, type RecordEvent } from "@portfolio/metadata";
import { DELETED, GONE, KEPT, notBefore, type ReviewOutcome } from "./outcome";
import type { GcPolicy } from "./policy";

interface ManifestRow {
  id: bigint;
  repository_id: bigint;
  subject_digest: string | null;
  created_at: Date;
  reachable: boolean;
  subject_present: boolean;
}

/**
 * Reviews manifest `digest` of `repository` by policy: one that a tag points
 * to or an index of the repository lists always stays. Otherwise a referrer
 * (it has a subject) stays while its subject does, and goes with it under
 * `delete-with-subject` once older than the review delay (a referrer may be
 * pushed before its subject); any other manifest goes under `untagged: delete`
 * once older than `untaggedAgeMs`.
 *
 * The row is locked FOR UPDATE before tags and index references are looked
 * at, in a later statement. A push that tags it or pushes an index listing it
 * locks the row FOR KEY SHARE first (putManifest), so it either committed
 * before the look (and is seen) or waits and, finding the row gone, inserts
 * the manifest again or answers MANIFEST_BLOB_UNKNOWN for the index. The
 * deletion itself is deleteManifest's, with the same events as a user's
 * DELETE, so the feed then queues the manifest's blobs and referrers.
 */
export async function reviewManifest(
  tx: Db,
  record: RecordEvent,
  key: { repository: string; digest: string },
  policy: GcPolicy,
  now: Date,
): Promise<ReviewOutcome> {
  const locked = await tx.$queryRaw<{ id: bigint }[]>`
    SELECT m.id FROM manifest m
    JOIN repository r ON r.id = m.repository_id
    WHERE r.name = ${key.repository} AND m.digest = ${key.digest}
    FOR UPDATE OF m`;
  const id = locked[0]?.id;
  if (id === undefined) return GONE;

  const manifest = await stateOf(tx, id, key.digest);
  if (manifest === undefined || manifest.reachable) return KEPT;

  const verdict = judge(manifest, policy, now);
  if (verdict !== DELETED) return verdict;
  await deleteManifest(tx, key.repository, key.digest, record);
  return DELETED;
}

function judge(manifest: ManifestRow, policy: GcPolicy, now: Date): ReviewOutcome {
  if (manifest.subject_digest !== null) {
    if (manifest.subject_present || policy.referrers === "keep") return KEPT;
    return notBefore(manifest.created_at, policy.reviewDelayMs, now) ?? DELETED;
  }
  if (policy.untagged === "keep") return KEPT;
  return notBefore(manifest.created_at, policy.untaggedAgeMs, now) ?? DELETED;
}

/** Read in a statement after the lock, so every commit before it is seen. */
async function stateOf(tx: Db, id: bigint, digest: string): Promise<ManifestRow | undefined> {
  const rows = await tx.$queryRaw<ManifestRow[]>`
    SELECT m.id, m.repository_id, m.subject_digest, m.created_at,
      (EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id)
        OR EXISTS (SELECT 1 FROM manifest_child c
          JOIN manifest p ON p.id = c.manifest_id
          WHERE p.repository_id = m.repository_id AND c.digest = ${digest})) AS reachable,
      (m.subject_digest IS NOT NULL AND EXISTS (SELECT 1 FROM manifest s
          WHERE s.repository_id = m.repository_id AND s.digest = m.subject_digest))
        AS subject_present
    FROM manifest m WHERE m.id = ${id}`;
  return rows[0];
}
