import type { ReviewKey } from "./review";
import { review } from "./review";
import type { SweepContext } from "./sweep-context";

const PAGE = 500;

interface Listed {
  repository: string;
  digest: string;
  cursor: string;
}

/**
 * Manifests that policy lets go, reviewed one by one. Deleting an index can
 * make its children unreachable, so passes repeat until one deletes nothing.
 */
export async function sweepManifests(context: SweepContext): Promise<void> {
  if (context.policy.untagged === "keep" && context.policy.referrers === "keep") return;
  let deleted = 1;
  while (deleted > 0) {
    deleted = await reviewAll(context, "manifest", (after) => unreachableManifests(context, after));
  }
}

/** Links that no manifest of their repository references. */
export async function sweepLinks(context: SweepContext): Promise<void> {
  await reviewAll(context, "blob-link", (after) => unreferencedLinks(context, after));
}

/** Blobs that no repository links. */
export async function sweepBlobs(context: SweepContext): Promise<void> {
  await reviewAll(context, "blob", (after) => unlinkedBlobs(context, after));
}

/**
 * Pages through what `list` picks (without locks) and reviews each under its
 * locks, as the queue would: what changed since the pick is seen there.
 */
async function reviewAll(
  context: SweepContext,
  kind: ReviewKey["kind"],
  list: (after: string) => Promise<Listed[]>,
): Promise<number> {
  let deleted = 0;
  let after = "";
  for (let page = await list(after); page.length > 0; page = await list(after)) {
    for (const { repository, digest, cursor } of page) {
      after = cursor;
      if (await reviewOne(context, { kind, repository, digest })) deleted += 1;
    }
  }
  return deleted;
}

async function reviewOne(context: SweepContext, key: ReviewKey): Promise<boolean> {
  const { policy, now, storage } = context;
  const outcome = await context.change((tx, record) => review(tx, record, key, policy, now));
  if (outcome.action !== "deleted") return false;

  const bytes = outcome.bytes;
  if (bytes !== undefined) context.freedKeys.add(bytes.storageKey);
  const item = { kind: key.kind, repository: key.repository, key: key.digest };
  await context.reclaimed(
    { ...item, bytes: bytes?.size ?? 0 },
    bytes && (() => storage.delete(bytes.storageKey)),
  );
  return true;
}

/** Pages are ordered by a text cursor, compared bytewise, so deletions do not shift them. */
function unreachableManifests(context: SweepContext, after: string): Promise<Listed[]> {
  const { policy, now } = context;
  const untaggedBefore = new Date(now.getTime() - policy.untaggedAgeMs);
  const referrersBefore = new Date(now.getTime() - policy.reviewDelayMs);
  const untagged = policy.untagged === "delete";
  const referrers = policy.referrers === "delete-with-subject";
  return context.read(
    (db) => db.$queryRaw<Listed[]>`
      SELECT r.name AS repository, m.digest, lpad(m.id::text, 20, '0') AS cursor
      FROM manifest m JOIN repository r ON r.id = m.repository_id
      WHERE lpad(m.id::text, 20, '0') > ${after}
        AND ((${untagged}::boolean AND m.subject_digest IS NULL
            AND m.created_at <= ${untaggedBefore})
          OR (${referrers}::boolean AND m.subject_digest IS NOT NULL
            AND m.created_at <= ${referrersBefore}
            AND NOT EXISTS (SELECT 1 FROM manifest s
              WHERE s.repository_id = m.repository_id AND s.digest = m.subject_digest)))
        AND NOT EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id)
        AND NOT EXISTS (SELECT 1 FROM manifest_child c JOIN manifest p ON p.id = c.manifest_id
          WHERE p.repository_id = m.repository_id AND c.digest = m.digest)
      ORDER BY m.id
      LIMIT ${PAGE}`,
  );
}

function unreferencedLinks(context: SweepContext, after: string): Promise<Listed[]> {
  const settledBefore = new Date(context.now.getTime() - context.policy.reviewDelayMs);
  return context.read(
    (db) => db.$queryRaw<Listed[]>`
      SELECT r.name AS repository, rb.digest,
        lpad(rb.repository_id::text, 20, '0') || ' ' || rb.digest AS cursor
      FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id
      WHERE (lpad(rb.repository_id::text, 20, '0') || ' ' || rb.digest) COLLATE "C" > ${after}
        AND rb.created_at <= ${settledBefore}
        AND NOT EXISTS (SELECT 1 FROM manifest_blob mb JOIN manifest m ON m.id = mb.manifest_id
          WHERE m.repository_id = rb.repository_id AND mb.digest = rb.digest)
      ORDER BY rb.repository_id, rb.digest COLLATE "C"
      LIMIT ${PAGE}`,
  );
}

function unlinkedBlobs(context: SweepContext, after: string): Promise<Listed[]> {
  return context.read(
    (db) => db.$queryRaw<Listed[]>`
      SELECT '' AS repository, b.digest, b.digest AS cursor
      FROM blob b
      WHERE b.digest COLLATE "C" > ${after}
        AND NOT EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.digest = b.digest)
      ORDER BY b.digest COLLATE "C"
      LIMIT ${PAGE}`,
  );
}
