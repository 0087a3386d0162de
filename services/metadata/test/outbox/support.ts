import { randomUUID } from "node:crypto";
import type { EventPublisher, RegistryEvent } from "@portfolio/core";
import { EVENT_TYPES } from "@portfolio/core";
import type { MetadataDatabase } from "../../src";

/**
 * A publisher that keeps what it was given, in order. `failNext(n)` makes the
 * next n publishes throw; `gate` holds every publish until it resolves.
 */
export class MemoryPublisher implements EventPublisher {
  readonly batches: RegistryEvent[][] = [];
  gate: Promise<void> | undefined;
  private failures = 0;

  get events(): RegistryEvent[] {
    return this.batches.flat();
  }

  failNext(times: number): void {
    this.failures = times;
  }

  async publish(events: readonly RegistryEvent[]): Promise<void> {
    await this.gate;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error("broker unavailable");
    }
    this.batches.push([...events]);
  }

  async close(): Promise<void> {}
}

/** Writes `count` tag.set events for `repository` into the outbox; their ids. */
export async function writeEvents(
  database: MetadataDatabase,
  repository: string,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = randomUUID();
    const payload = { repository, tag: `t${i}`, digest: `sha256:${"0".repeat(64)}` };
    await database.prisma.$executeRaw`
      INSERT INTO outbox_event (id, type, repository, payload, request_id)
      VALUES (${id}::uuid, ${EVENT_TYPES.tagSet}, ${repository}, ${JSON.stringify(payload)}::jsonb,
              ${i % 2 === 0 ? `req-${i}` : null})`;
    ids.push(id);
  }
  return ids;
}

export async function publishedCount(database: MetadataDatabase): Promise<number> {
  const rows = await database.prisma.$queryRaw<{ count: bigint }[]>`
    SELECT count(*) AS count FROM outbox_event WHERE published_at IS NOT NULL`;
  return Number(rows[0]?.count ?? 0);
}

export async function rowCount(database: MetadataDatabase): Promise<number> {
  const rows = await database.prisma.$queryRaw<{ count: bigint }[]>`
    SELECT count(*) AS count FROM outbox_event`;
  return Number(rows[0]?.count ?? 0);
}

export function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
}
