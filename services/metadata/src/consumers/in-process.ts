import type { EventPublisher, RegistryEvent } from "@portfolio/core";
import type { MetadataDatabase } from "../database";
import { applyOnce, type EventConsumer } from "./consumer";

/**
 * The embedded default's destination for the outbox relay: instead of Kafka,
 * each event is applied to every consumer in this process, in order, through
 * the same `applyOnce` as the Kafka roles. `publish` resolves once all of
 * them committed, so the relay marks the events published only then; a crash
 * in between redelivers them at the next start, and `processed_event` makes
 * that harmless.
 */
export class InProcessEventPublisher implements EventPublisher {
  constructor(
    private readonly database: MetadataDatabase,
    private readonly consumers: readonly EventConsumer[],
  ) {}

  async publish(events: readonly RegistryEvent[]): Promise<void> {
    for (const event of events) {
      for (const consumer of this.consumers) {
        await applyOnce(this.database, consumer, event);
      }
    }
  }

  /** The database belongs to whoever opened it; there is nothing else to release. */
  async close(): Promise<void> {}
}
