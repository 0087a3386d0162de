import { randomUUID } from "node:crypto";
import type { UploadSession } from "@portfolio/core";
import { ensureRepository } from "./repositories";
import type { Db } from "./sql";

interface UploadRow {
  id: string;
  created_at: Date;
  expires_at: Date;
}

/** Session ids are UUIDs; anything else cannot name a session (and Postgres would reject it). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opens a session under a fresh UUID. Run inside a transaction (it may create the repository). */
export async function createUpload(
  db: Db,
  repository: string,
  expiresAt: Date,
): Promise<UploadSession> {
  const repositoryId = await ensureRepository(db, repository);
  const rows = await db.$queryRaw<UploadRow[]>`
    INSERT INTO upload_session (id, repository_id, expires_at)
    VALUES (${randomUUID()}::uuid, ${repositoryId}, ${expiresAt})
    RETURNING id::text AS id, created_at, expires_at`;
  return toSession(repository, rows[0]!);
}

/** The session when it belongs to `repository` and has not expired. */
export async function findUpload(
  db: Db,
  repository: string,
  id: string,
): Promise<UploadSession | undefined> {
  if (!UUID.test(id)) return undefined;
  const rows = await db.$queryRaw<UploadRow[]>`
    SELECT u.id::text AS id, u.created_at, u.expires_at
    FROM upload_session u
    JOIN repository r ON r.id = u.repository_id
    WHERE r.name = ${repository} AND u.id = ${id}::uuid AND u.expires_at > now()`;
  const row = rows[0];
  return row === undefined ? undefined : toSession(repository, row);
}

export async function deleteUpload(db: Db, repository: string, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const count = await db.$executeRaw`
    DELETE FROM upload_session u
    USING repository r
    WHERE r.id = u.repository_id AND r.name = ${repository} AND u.id = ${id}::uuid`;
  return count > 0;
}

function toSession(repository: string, row: UploadRow): UploadSession {
  return { id: row.id, repository, createdAt: row.created_at, expiresAt: row.expires_at };
}
