import { EVENT_TYPES, type EventType, type RegistryEvent } from "@portfolio/core";
import type { Db } from "../sql";
import type { EventConsumer } from "./consumer";
import { subjectOfReferrersTag } from "./tag-schema";

const HANDLED = new Set<string>([
  EVENT_TYPES.tagSet,
  EVENT_TYPES.tagDeleted,
  EVENT_TYPES.manifestDeleted,
]);

/**
 * The referrers indexer keeps `tag_schema_referrer`: the referrers that
 * clients recorded with the referrers tag schema (an index tagged
 * `sha256-<hex>` listing the referrers of `sha256:<hex>`), which the spec asks
 * a registry to list once its referrers API is enabled.
 *
 * Why only those: a manifest's own `subject` is written in its push
 * transaction (`manifest.subject_digest`), and the referrers API reads that
 * column, so a referrer is listed as soon as its PUT has answered. An index
 * of referrers kept from events would lag behind the PUT and break that
 * read-after-write promise; what a tag points at, on the other hand, is the
 * client's bookkeeping, not the registry's, and can follow a little later.
 *
 * Each event re-derives the rows of a tag from the tag's current target (its
 * `manifest_child` rows) instead of applying a difference, so redelivered,
 * late or reordered events converge on the present state.
 */
export class ReferrersIndexer implements EventConsumer {
  readonly name = "referrers";

  handles(type: string): type is EventType {
    return HANDLED.has(type);
  }

  async apply(tx: Db, event: RegistryEvent): Promise<void> {
    for (const tag of referrersTags(event)) {
      await reindexTag(tx, event.repository, tag);
    }
  }
}

/** The tags of an event that may be referrers tags. */
function referrersTags(event: RegistryEvent): string[] {
  switch (event.type) {
    case EVENT_TYPES.tagSet:
    case EVENT_TYPES.tagDeleted:
      return [(event as RegistryEvent<typeof EVENT_TYPES.tagSet>).payload.tag];
    case EVENT_TYPES.manifestDeleted:
      return (event as RegistryEvent<typeof EVENT_TYPES.manifestDeleted>).payload.tags;
    default:
      return [];
  }
}

/**
 * Replaces the tag-schema referrers of the tag's subject with the manifests
 * the tag's index lists now: none once the tag is gone or points at an image.
 */
async function reindexTag(tx: Db, repository: string, tag: string): Promise<void> {
  const subject = subjectOfReferrersTag(tag);
  if (subject === undefined) return;

  await tx.$executeRaw`
    DELETE FROM tag_schema_referrer s
    USING repository r
    WHERE r.id = s.repository_id AND r.name = ${repository} AND s.subject_digest = ${subject}`;
  await tx.$executeRaw`
    INSERT INTO tag_schema_referrer (repository_id, subject_digest, digest)
    SELECT t.repository_id, ${subject}, c.digest
    FROM tag t
    JOIN repository r ON r.id = t.repository_id
    JOIN manifest_child c ON c.manifest_id = t.manifest_id
    WHERE r.name = ${repository} AND t.name = ${tag}
    ON CONFLICT DO NOTHING`;
}
