import type { Page } from "@portfolio/core";
import { Prisma } from "./generated/prisma/client";
import { findListedRepositoryId } from "./repositories";
import { type Db, pageAfter, pageLimit } from "./sql";

/**
 * Points the tag at the manifest, creating or moving it. Concurrent moves of
 * one tag queue on its row; the last to commit wins and one row remains.
 */
export async function moveTag(
  db: Db,
  repositoryId: bigint,
  tag: string,
  manifestId: bigint,
): Promise<void> {
  await db.$executeRaw`
    INSERT INTO tag (repository_id, name, manifest_id, updated_at)
    VALUES (${repositoryId}, ${tag}, ${manifestId}, now())
    ON CONFLICT (repository_id, name)
    DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = excluded.updated_at`;
}

export async function deleteTag(db: Db, repository: string, tag: string): Promise<boolean> {
  const count = await db.$executeRaw`
    DELETE FROM tag t
    USING repository r
    WHERE r.id = t.repository_id AND r.name = ${repository} AND t.name = ${tag}`;
  return count > 0;
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
