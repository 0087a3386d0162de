import type { Page } from "@portfolio/core";
import { Prisma } from "./generated/prisma/client";
import { type Db, pageAfter, pageLimit } from "./sql";

/** The repository's id, or undefined when nothing was ever pushed to it. */
export async function findRepositoryId(db: Db, name: string): Promise<bigint | undefined> {
  const rows = await db.$queryRaw<{ id: bigint }[]>`SELECT id FROM repository WHERE name = ${name}`;
  return rows[0]?.id;
}

/**
 * The repository's id, creating the repository on first use. A concurrent
 * creator makes the insert do nothing (after waiting for it to commit); the
 * second read then sees its row.
 */
export async function ensureRepository(db: Db, name: string): Promise<bigint> {
  const existing = await findRepositoryId(db, name);
  if (existing !== undefined) return existing;

  const inserted = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO repository (name) VALUES (${name})
    ON CONFLICT (name) DO NOTHING
    RETURNING id`;
  const id = inserted[0]?.id ?? (await findRepositoryId(db, name));
  if (id === undefined) throw new Error(`repository ${name} vanished while being created`);
  return id;
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
