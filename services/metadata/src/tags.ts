import { EVENT_TYPES, type Page } from "@portfolio/core";
import { Prisma } from "./generated/prisma/client";
import type { RecordEvent } from "./outbox/record";
import { findListedRepositoryId } from "./repositories";
import { type Db, pageAfter, pageLimit } from "./sql";

/** A tag's move: where it pointed before, absent when the tag is new. */
export interface TagMove {
  previousDigest?: string;
}

/**
 * Points the tag at the manifest, creating or moving it; undefined when it
 * already pointed there. The tag's row is locked before it is read, so of two
 * concurrent moves the second sees where the first left it and reports that
 * as its previous digest; the last to commit wins and one row remains.
 */
export async function setTag(
  db: Db,
  repositoryId: bigint,
  tag: string,
  manifestId: bigint,
): Promise<TagMove | undefined> {
  const current = await lockTag(db, repositoryId, tag);
  if (current === undefined) {
    const created = await db.$executeRaw`
      INSERT INTO tag (repository_id, name, manifest_id, updated_at)
      VALUES (${repositoryId}, ${tag}, ${manifestId}, now())
      ON CONFLICT (repository_id, name) DO NOTHING`;
    // Nothing inserted: a concurrent push created (or moved) the tag first; read it again.
    return created > 0 ? {} : setTag(db, repositoryId, tag, manifestId);
  }
  if (current.manifest_id === manifestId) return undefined;

  await db.$executeRaw`
    UPDATE tag SET manifest_id = ${manifestId}, updated_at = now()
    WHERE repository_id = ${repositoryId} AND name = ${tag}`;
  return { previousDigest: current.digest };
}

/**
 * Deletes a tag, recording `tag.deleted` with the digest it pointed to.
 * Returns false when the repository had no such tag.
 */
export async function deleteTag(
  db: Db,
  repository: string,
  tag: string,
  record: RecordEvent,
): Promise<boolean> {
  const rows = await db.$queryRaw<{ digest: string }[]>`
    DELETE FROM tag t
    USING repository r, manifest m
    WHERE r.id = t.repository_id AND m.id = t.manifest_id
      AND r.name = ${repository} AND t.name = ${tag}
    RETURNING m.digest`;
  const digest = rows[0]?.digest;
  if (digest !== undefined) record(EVENT_TYPES.tagDeleted, { repository, tag, digest });
  return digest !== undefined;
}

/** Tags in byte order, or undefined when the repository does not exist. */
export async function listTags(
  db: Db,
  repository: string,
  page: Page,
): Promise<string[] | undefined> {
  const repositoryId = await findListedRepositoryId(db, repository);
  if (repositoryId === undefined) return undefined;

  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT name FROM tag
    WHERE repository_id = ${repositoryId} ${pageAfter(Prisma.sql`name`, page.last)}
    ORDER BY name COLLATE "C"
    ${pageLimit(page.n)}`;
  return rows.map((row) => row.name);
}

/** The tag's manifest, locking the tag's row until the transaction ends. */
async function lockTag(
  db: Db,
  repositoryId: bigint,
  tag: string,
): Promise<{ manifest_id: bigint; digest: string } | undefined> {
  const rows = await db.$queryRaw<{ manifest_id: bigint; digest: string }[]>`
    SELECT t.manifest_id, m.digest
    FROM tag t JOIN manifest m ON m.id = t.manifest_id
    WHERE t.repository_id = ${repositoryId} AND t.name = ${tag}
    FOR UPDATE OF t`;
  return rows[0];
}
