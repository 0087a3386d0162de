import type { Page } from "@portfolio/core";
import { Prisma } from "./generated/prisma/client";
import { type Db, pageAfter, pageLimit } from "./sql";

/**
 * The repository's id, creating the repository on first use. A concurrent
 * creator makes the insert do nothing (after waiting for it to commit); the
 * second read then sees its row.
 */
export async function ensureRepository(db: Db, name: string): Promise<bigint> {
  return (await openRepository(db, name)).id;
}

/** A repository row and whether it was listed (held content) when read. */
export interface RepositoryState {
  name: string;
  id: bigint;
  listed: boolean;
}

/** Like ensureRepository, also telling whether the repository already holds content. */
export async function openRepository(db: Db, name: string): Promise<RepositoryState> {
  const existing = await findRepository(db, name);
  if (existing !== undefined) return existing;

  const inserted = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO repository (name) VALUES (${name})
    ON CONFLICT (name) DO NOTHING
    RETURNING id`;
  const id = inserted[0]?.id;
  if (id !== undefined) return { name, id, listed: false };

  const created = await findRepository(db, name);
  if (created === undefined) throw new Error(`repository ${name} vanished while being created`);
  return created;
}

/**
 * Whether content about to be added makes the repository appear, that is
 * whether the change should announce `repository.created`. The event marks
 * the moment users can see the repository (see HOLDS_CONTENT), not the row's
 * insertion: an upload session alone announces nothing. When the repository
 * looked empty, its row is locked and the question asked again in a new
 * statement, so of two first pushes running at once only the first to commit
 * announces it; the second waits for it here and then finds its content.
 */
export async function appearsWithContent(db: Db, repository: RepositoryState): Promise<boolean> {
  if (repository.listed) return false;

  await db.$queryRaw`SELECT 1 FROM repository WHERE id = ${repository.id} FOR NO KEY UPDATE`;
  const rows = await db.$queryRaw<{ listed: boolean }[]>`
    SELECT ${HOLDS_CONTENT} AS listed FROM repository WHERE id = ${repository.id}`;
  return rows[0]?.listed === false;
}

async function findRepository(db: Db, name: string): Promise<RepositoryState | undefined> {
  const rows = await db.$queryRaw<{ id: bigint; listed: boolean }[]>`
    SELECT id, ${HOLDS_CONTENT} AS listed FROM repository WHERE name = ${name}`;
  const row = rows[0];
  return row === undefined ? undefined : { name, id: row.id, listed: row.listed };
}

/**
 * A repository is listed once it holds content: a manifest or a blob. An
 * upload session alone creates the row but not the repository a user sees,
 * so a refused or abandoned upload leaves the catalog and tag lists as they were.
 */
const HOLDS_CONTENT = Prisma.sql`(
  EXISTS (SELECT 1 FROM manifest m WHERE m.repository_id = repository.id)
  OR EXISTS (SELECT 1 FROM repository_blob b WHERE b.repository_id = repository.id))`;

/** The repository's id if it holds content (see HOLDS_CONTENT), else undefined. */
export async function findListedRepositoryId(db: Db, name: string): Promise<bigint | undefined> {
  const rows = await db.$queryRaw<{ id: bigint }[]>`
    SELECT id FROM repository WHERE name = ${name} AND ${HOLDS_CONTENT}`;
  return rows[0]?.id;
}

/** Names of the repositories that hold content, in byte order (the catalog). */
export async function listRepositories(db: Db, page: Page): Promise<string[]> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT name FROM repository
    WHERE ${HOLDS_CONTENT} ${pageAfter(Prisma.sql`name`, page.last)}
    ORDER BY name COLLATE "C"
    ${pageLimit(page.n)}`;
  return rows.map((row) => row.name);
}
