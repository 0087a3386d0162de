import type { EventType, RegistryEvent } from "@portfolio/core";
import type { MetadataDatabase } from "../database";
import type { Db } from "../sql";

/**
 * One of the registry's own event consumers. Its effect is rows in the
 * metadata database, so that it can commit in the same transaction as the
 * record that the event was processed: that is what makes at-least-once
 * delivery apply each effect once.
 */
export interface EventConsumer {
  /** Names the consumer in `processed_event` and its Kafka consumer group. */
  readonly name: string;
  handles(type: string): type is EventType;
  /** Applies the event's effect inside `tx`; throws to have it redelivered. */
  apply(tx: Db, event: RegistryEvent): Promise<void>;
}

/** What `applyOnce` did with an event. */
export type ApplyOutcome = "applied" | "duplicate" | "ignored";

/**
 * Applies `event` to `consumer` unless it already has been. The marker row is
 * inserted first, in the transaction of the effect: a concurrent redelivery
 * waits on its key until this transaction ends, then finds it (and skips) if
 * it committed, or applies the event itself if it rolled back. A crash before
 * the commit leaves neither marker nor effect, so the redelivery applies it.
 * Events the consumer does not handle leave no row.
 */
export async function applyOnce(
  database: MetadataDatabase,
  consumer: EventConsumer,
  event: RegistryEvent,
): Promise<ApplyOutcome> {
  if (!consumer.handles(event.type)) return "ignored";
  return database.prisma.$transaction(async (tx) => {
    const marked = await tx.$executeRaw`
      INSERT INTO processed_event (consumer, event_id)
      VALUES (${consumer.name}, ${event.id}::uuid)
      ON CONFLICT DO NOTHING`;
    if (marked === 0) return "duplicate";
    await consumer.apply(tx, event);
    return "applied";
  });
}
