import type { BlobStorage } from "@portfolio/core";
import { type MetadataDatabase, runChange } from "@portfolio/metadata";
import type { ReviewOutcome } from "./outcome";
import type { GcPolicy } from "./policy";
import type { OnReclaimed } from "./reclaim";
import { type ReviewKey, review } from "./review";

interface CandidateRow extends ReviewKey {
  id: bigint;
}

export interface QueueOptions {
  database: MetadataDatabase;
  storage: BlobStorage;
  policy: GcPolicy;
  onReclaimed?: OnReclaimed;
}

/**
 * Reviews due candidates until none is left or `limit` were reviewed; how
 * many were. Each one is claimed, reviewed and removed from the queue (or put
 * back for later) in one transaction, so a collector that dies mid-review
 * leaves the candidate queued, and its bytes, if any, are deleted only after
 * that transaction committed. The claim is FOR UPDATE SKIP LOCKED, so any
 * number of collectors share the queue without reviewing one thing twice.
 */
export async function reviewDue(options: QueueOptions, limit: number): Promise<number> {
  let reviewed = 0;
  while (reviewed < limit && (await reviewNext(options))) reviewed += 1;
  return reviewed;
}

async function reviewNext({ database, storage, policy, onReclaimed }: QueueOptions) {
  const now = new Date();
  const done = await runChange(database, async (tx, record) => {
    const rows = await tx.$queryRaw<CandidateRow[]>`
      SELECT id, kind, repository, digest FROM gc_candidate
      WHERE review_after <= ${now}
      ORDER BY review_after
      LIMIT 1
      FOR UPDATE SKIP LOCKED`;
    const candidate = rows[0];
    if (candidate === undefined) return undefined;

    const outcome = await review(tx, record, candidate, policy, now);
    if (outcome.action === "later") {
      await tx.$executeRaw`
        UPDATE gc_candidate SET review_after = ${outcome.at} WHERE id = ${candidate.id}`;
    } else {
      await tx.$executeRaw`DELETE FROM gc_candidate WHERE id = ${candidate.id}`;
    }
    return { candidate, outcome };
  });
  if (done === undefined) return false;

  await afterCommit(storage, done.candidate, done.outcome, onReclaimed);
  return true;
}

async function afterCommit(
  storage: BlobStorage,
  { kind, repository, digest }: ReviewKey,
  outcome: ReviewOutcome,
  onReclaimed: OnReclaimed | undefined,
): Promise<void> {
  if (outcome.action !== "deleted") return;
  onReclaimed?.({ kind, repository, key: digest, bytes: outcome.bytes?.size ?? 0 });
  if (outcome.bytes !== undefined) await storage.delete(outcome.bytes.storageKey);
}
