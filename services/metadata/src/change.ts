import { currentRequestId } from "@portfolio/core";
import type { MetadataDatabase } from "./database";
import { type OutboxEntry, type RecordEvent, recorderInto } from "./outbox/record";
import { appendEvents } from "./outbox/write";
import type { Db } from "./sql";

/** Prisma's interactive transaction limits, for work longer than a request's. */
export interface ChangeOptions {
  /** How long the transaction may run, in ms; the client's default when unset. */
  timeout?: number;
}

/**
 * Runs `work` as one change: in a transaction that also appends the events it
 * recorded to the outbox before committing, so an event exists exactly when
 * its change committed. The store's writes and the garbage collector's
 * deletions both go through here. The request id is read before the
 * transaction starts, while the caller's async context is certainly current.
 */
export function runChange<T>(
  database: MetadataDatabase,
  work: (tx: Db, record: RecordEvent) => Promise<T>,
  options: ChangeOptions = {},
): Promise<T> {
  const requestId = currentRequestId();
  return database.prisma.$transaction(async (tx) => {
    const entries: OutboxEntry[] = [];
    const result = await work(tx, recorderInto(entries, requestId));
    await appendEvents(tx, entries);
    return result;
  }, options);
}
