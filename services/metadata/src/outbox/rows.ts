import type { EventType, RegistryEvent } from "@portfolio/core";
import type { Db } from "../sql";

/** An `outbox_event` row as the relay reads it. */
export interface OutboxRow {
  sequence: bigint;
  id: string;
  type: string;
  repository: string;
  payload: unknown;
  request_id: string | null;
  created_at: Date;
}

/**
 * The one place a stored row becomes the event that is published. The row
 * does not store `source` (it names the installation, not the change), so the
 * relay supplies it.
 */
export function toRegistryEvent(row: OutboxRow, source: string): RegistryEvent {
  const event: RegistryEvent = {
    id: row.id,
    type: row.type as EventType,
    source,
    time: new Date(row.created_at).toISOString(),
    repository: row.repository,
    payload: row.payload as RegistryEvent["payload"],
  };
  if (row.request_id !== null) event.requestId = row.request_id;
  return event;
}

/** The oldest `limit` unpublished rows, in the order they were written. */
export function unpublishedRows(db: Db, limit: number): Promise<OutboxRow[]> {
  return db.$queryRaw<OutboxRow[]>`
    SELECT sequence, id::text AS id, type, repository, payload, request_id, created_at
    FROM outbox_event
    WHERE published_at IS NULL
    ORDER BY sequence
    LIMIT ${limit}`;
}

/**
 * Marks exactly these rows published. Never a sequence range: a row with a
 * smaller sequence whose transaction committed late may sit inside the range
 * unpublished, and must stay so.
 */
export async function markPublished(db: Db, rows: readonly OutboxRow[]): Promise<number> {
  const ids = rows.map((row) => row.id);
  return db.$executeRaw`
    UPDATE outbox_event SET published_at = now()
    WHERE id = ANY(${ids}::uuid[]) AND published_at IS NULL`;
}

/** How many rows wait to be published. */
export async function countUnpublished(db: Db): Promise<number> {
  const rows = await db.$queryRaw<{ count: bigint }[]>`
    SELECT count(*) AS count FROM outbox_event WHERE published_at IS NULL`;
  return Number(rows[0]?.count ?? 0);
}

/** Deletes up to `limit` rows published before `before`; how many went. */
export function deletePublished(db: Db, before: Date, limit: number): Promise<number> {
  return db.$executeRaw`
    DELETE FROM outbox_event
    WHERE sequence IN (
      SELECT sequence FROM outbox_event
      WHERE published_at IS NOT NULL AND published_at < ${before}
      ORDER BY published_at
      LIMIT ${limit})`;
}
