import {
  EVENT_TYPES,
  type EventPayloads,
  type EventType,
  type RegistryEvent,
} from "@portfolio/core";
import type { Db } from "../sql";
import type { EventConsumer } from "./consumer";

/** A day: long enough for any push to finish referencing what it uploaded. */
export const DEFAULT_GC_REVIEW_DELAY_MS = 24 * 60 * 60 * 1000;

/** What the garbage collector re-checks: the kinds of `gc_candidate`. */
export type CandidateKind = "blob-link" | "blob" | "manifest";

/** What a `gc_candidate` row names. */
export interface Candidate {
  kind: CandidateKind;
  /** "" for bytes, which belong to no repository. */
  repository: string;
  digest: string;
}

type Payload<T extends EventType> = EventPayloads[T];

/**
 * The garbage-collection feed turns pushes, deletes and tag moves into
 * `gc_candidate` rows: things that may have become garbage, each to be
 * re-checked under locks by the collector once `review_after` has passed. The
 * feed only says where to look; it never decides, so a candidate that is
 * still referenced at review time costs a check and nothing else.
 *
 * - blob uploaded or mounted: the link, unless a manifest uses it by then;
 * - manifest pushed untagged and without a subject: the manifest, in case
 *   no index ever lists it (policy decides whether untagged ones go);
 * - manifest deleted: the links of its blobs, the manifests it listed, and
 *   the referrers whose subject it was;
 * - tag moved or deleted: the manifest it pointed to, now perhaps untagged;
 * - blob deleted from a repository: its bytes, perhaps linked nowhere now.
 *
 * Review is due `delay` after the event happened (its `time`), so that
 * consumer lag or a redelivery does not push it later; a repeated candidate
 * keeps the earlier of the two times, so steady churn cannot postpone its
 * review forever.
 */
export class GcFeed implements EventConsumer {
  readonly name = "gc-feed";

  constructor(private readonly delayMs: number = DEFAULT_GC_REVIEW_DELAY_MS) {}

  handles(type: string): type is EventType {
    return HANDLED.has(type);
  }

  async apply(tx: Db, event: RegistryEvent): Promise<void> {
    const candidates = await candidatesOf(tx, event);
    if (candidates.length === 0) return;
    await enqueueCandidates(tx, candidates, new Date(happenedAt(event) + this.delayMs));
  }
}

const HANDLED = new Set<string>([
  EVENT_TYPES.blobUploaded,
  EVENT_TYPES.blobMounted,
  EVENT_TYPES.blobDeleted,
  EVENT_TYPES.manifestPushed,
  EVENT_TYPES.manifestDeleted,
  EVENT_TYPES.tagSet,
  EVENT_TYPES.tagDeleted,
]);

async function candidatesOf(tx: Db, event: RegistryEvent): Promise<Candidate[]> {
  const repository = event.repository;
  const payload: unknown = event.payload;
  switch (event.type) {
    case EVENT_TYPES.blobUploaded:
    case EVENT_TYPES.blobMounted: {
      const { digest } = payload as Payload<typeof EVENT_TYPES.blobUploaded>;
      return [{ kind: "blob-link", repository, digest }];
    }
    case EVENT_TYPES.blobDeleted: {
      const { digest } = payload as Payload<typeof EVENT_TYPES.blobDeleted>;
      return [{ kind: "blob", repository: "", digest }];
    }
    case EVENT_TYPES.manifestPushed: {
      const pushed = payload as Payload<typeof EVENT_TYPES.manifestPushed>;
      const unreachable = pushed.tags.length === 0 && pushed.subject === undefined;
      return unreachable ? [{ kind: "manifest", repository, digest: pushed.digest }] : [];
    }
    case EVENT_TYPES.manifestDeleted:
      return deletedManifestCandidates(tx, repository, payload as DeletedManifest);
    case EVENT_TYPES.tagSet: {
      const { previousDigest } = payload as Payload<typeof EVENT_TYPES.tagSet>;
      return previousDigest === undefined
        ? []
        : [{ kind: "manifest", repository, digest: previousDigest }];
    }
    case EVENT_TYPES.tagDeleted: {
      const { digest } = payload as Payload<typeof EVENT_TYPES.tagDeleted>;
      return [{ kind: "manifest", repository, digest }];
    }
    default:
      return [];
  }
}

type DeletedManifest = Payload<typeof EVENT_TYPES.manifestDeleted>;

/**
 * What a deleted manifest leaves behind. Its blob and child rows are gone with
 * it, so the event lists them; its referrers still name it in their own rows.
 */
async function deletedManifestCandidates(
  tx: Db,
  repository: string,
  deleted: DeletedManifest,
): Promise<Candidate[]> {
  const referrers = await tx.$queryRaw<{ digest: string }[]>`
    SELECT m.digest FROM manifest m
    JOIN repository r ON r.id = m.repository_id
    WHERE r.name = ${repository} AND m.subject_digest = ${deleted.digest}`;
  return [
    ...(deleted.blobs ?? []).map((digest) => ({ kind: "blob-link" as const, repository, digest })),
    ...[...(deleted.manifests ?? []), ...referrers.map((row) => row.digest)].map((digest) => ({
      kind: "manifest" as const,
      repository,
      digest,
    })),
  ];
}

/** Inserts the candidates, or brings an existing one's review no later than `reviewAfter`. */
export async function enqueueCandidates(
  tx: Db,
  candidates: Candidate[],
  reviewAfter: Date,
): Promise<void> {
  const unique = new Map(candidates.map((c) => [`${c.kind}\n${c.repository}\n${c.digest}`, c]));
  const rows = [...unique.values()];
  await tx.$executeRaw`
    INSERT INTO gc_candidate (kind, repository, digest, review_after)
    SELECT kind, repository, digest, ${reviewAfter}::timestamptz
    FROM unnest(${rows.map((c) => c.kind)}::text[], ${rows.map((c) => c.repository)}::text[],
      ${rows.map((c) => c.digest)}::text[]) AS c(kind, repository, digest)
    ON CONFLICT (kind, repository, digest)
    DO UPDATE SET review_after = LEAST(gc_candidate.review_after, excluded.review_after)`;
}

/** When the event happened, in ms; now if its time does not parse. */
function happenedAt(event: RegistryEvent): number {
  const time = Date.parse(event.time);
  return Number.isNaN(time) ? Date.now() : time;
}
