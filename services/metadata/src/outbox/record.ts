import { randomUUID } from "node:crypto";
import type { EventPayloads, EventType, RegistryEvent } from "@portfolio/core";

/**
 * An event as a change writes it to the outbox. The row's `created_at` (the
 * database's clock at the transaction's start) becomes the event's `time`, and
 * the relay adds `source`, which names the installation rather than the change.
 */
export type OutboxEntry = Omit<RegistryEvent, "source" | "time">;

/**
 * How the queries of one transaction say what changed: each call records one
 * event, in the order the changes were made. The store appends them to the
 * outbox in the same transaction, so an event exists exactly when its change
 * committed.
 */
export type RecordEvent = <T extends EventType>(type: T, payload: EventPayloads[T]) => void;

/**
 * A recorder that collects entries, with fresh ids, into `entries`. Each
 * carries `requestId`, read by the caller before the transaction started,
 * while the request's async context was certainly the current one.
 */
export function recorderInto(entries: OutboxEntry[], requestId: string | undefined): RecordEvent {
  return (type, payload) => {
    const entry: OutboxEntry = { id: randomUUID(), type, repository: payload.repository, payload };
    if (requestId !== undefined) entry.requestId = requestId;
    entries.push(entry);
  };
}
