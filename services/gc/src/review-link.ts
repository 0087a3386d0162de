import { EVENT_TYPES } from "@portfolio/core";
import { type Db, enqueueCandidates, type RecordEvent } from "@portfolio/metadata";
import { DELETED, GONE, KEPT, notBefore, type ReviewOutcome } from "./outcome";
import type { GcPolicy } from "./policy";

/**
 * Reviews the link of blob `digest` to `repository`: it goes when no manifest
 * of the repository references the blob and it is older than the review delay.
 *
 * Why a push that references the blob at the same moment always wins or fails
 * cleanly: the link row is locked FOR UPDATE first, and the references are
 * counted in a later statement, which in READ COMMITTED sees every commit made
 * before it. putManifest locks the links it checks FOR KEY SHARE, which
 * conflicts with FOR UPDATE. So either the push locked the link first: this
 * review waits for the push to commit and then counts its reference (the link
 * stays); or this review locked it first: the push waits, the link is deleted,
 * and the push's check finds it missing and answers MANIFEST_BLOB_UNKNOWN
 * without committing anything. An upload or mount of the blob again touches
 * the link under a row lock (see linkBlob), so it too is either seen as fresh
 * or creates a new link after this one is gone.
 *
 * The deletion is announced (`blob.deleted`) through the outbox, and the
 * blob's bytes are queued for review at once: they are re-checked under their
 * own lock (review-blob.ts), so no further delay is needed.
 */
export async function reviewBlobLink(
  tx: Db,
  record: RecordEvent,
  key: { repository: string; digest: string },
  policy: GcPolicy,
  now: Date,
): Promise<ReviewOutcome> {
  const { repository, digest } = key;
  const rows = await tx.$queryRaw<{ repository_id: bigint; created_at: Date }[]>`
    SELECT rb.repository_id, rb.created_at
    FROM repository_blob rb
    JOIN repository r ON r.id = rb.repository_id
    WHERE r.name = ${repository} AND rb.digest = ${digest}
    FOR UPDATE OF rb`;
  const link = rows[0];
  if (link === undefined) return GONE;

  const young = notBefore(link.created_at, policy.reviewDelayMs, now);
  if (young !== undefined) return young;
  if (await referenced(tx, link.repository_id, digest)) return KEPT;

  await tx.$executeRaw`
    DELETE FROM repository_blob
    WHERE repository_id = ${link.repository_id} AND digest = ${digest}`;
  record(EVENT_TYPES.blobDeleted, { repository, digest });
  await enqueueCandidates(tx, [{ kind: "blob", repository: "", digest }], now);
  return DELETED;
}

async function referenced(tx: Db, repositoryId: bigint, digest: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ used: boolean }[]>`
    SELECT EXISTS (
      SELECT 1 FROM manifest_blob mb
      JOIN manifest m ON m.id = mb.manifest_id
      WHERE m.repository_id = ${repositoryId} AND mb.digest = ${digest}) AS used`;
  return rows[0]?.used === true;
}
