import { Prisma } from "../generated/prisma/client";
import type { Db } from "../sql";
import type { OutboxEntry } from "./record";

/**
 * Appends the events of a change to the outbox. Call it inside the change's
 * transaction: a rollback then takes the events with it. One multi-row INSERT
 * whatever their number, keeping the push path at one extra statement; the
 * rows take ascending `sequence` numbers in the order given, which is the
 * order the relay publishes them in.
 */
export async function appendEvents(db: Db, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;

  const rows = entries.map(
    (entry) => Prisma.sql`(${entry.id}::uuid, ${entry.type}, ${entry.repository},
      ${JSON.stringify(entry.payload)}::jsonb, ${entry.requestId ?? null})`,
  );
  await db.$executeRaw`
    INSERT INTO outbox_event (id, type, repository, payload, request_id)
    VALUES ${Prisma.join(rows)}`;
}
