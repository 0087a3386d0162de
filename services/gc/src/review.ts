import type { CandidateKind, Db, RecordEvent } from "@portfolio/metadata";
import type { ReviewOutcome } from "./outcome";
import type { GcPolicy } from "./policy";
import { reviewBlob } from "./review-blob";
import { reviewBlobLink } from "./review-link";
import { reviewManifest } from "./review-manifest";

/** A thing to review, as a `gc_candidate` row names it. */
export interface ReviewKey {
  kind: CandidateKind;
  /** "" for a blob's bytes, which belong to no repository. */
  repository: string;
  digest: string;
}

/** Reviews one candidate inside `tx`, under the locks each kind's review describes. */
export function review(
  tx: Db,
  record: RecordEvent,
  key: ReviewKey,
  policy: GcPolicy,
  now: Date,
): Promise<ReviewOutcome> {
  switch (key.kind) {
    case "blob-link":
      return reviewBlobLink(tx, record, key, policy, now);
    case "blob":
      return reviewBlob(tx, key.digest);
    case "manifest":
      return reviewManifest(tx, record, key, policy, now);
  }
}
