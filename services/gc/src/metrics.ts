import type { MetadataDatabase } from "@portfolio/metadata";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Reclaimed } from "./reclaim";

/** Counts what this process reclaimed; pass `reclaimed` as `onReclaimed`. */
export interface GcMetrics {
  reclaimed(item: Reclaimed): void;
}

/**
 * Registers the collector's metrics on `registry`:
 * - `portfolio_gc_queue_length`: candidates queued, due or not (counted at scrape time);
 * - `portfolio_gc_review_lag_seconds`: how long the oldest due candidate has
 *   been due, 0 when none is (so it shows a collector that falls behind);
 * - `portfolio_gc_reclaimed_objects_total` and `_bytes_total`, by kind.
 */
export function registerGcMetrics(registry: Registry, database: MetadataDatabase): GcMetrics {
  new Gauge({
    name: "portfolio_gc_queue_length",
    help: "Garbage-collection candidates waiting in the review queue",
    registers: [registry],
    async collect() {
      const rows = await database.prisma.$queryRaw<{ count: bigint }[]>`
        SELECT count(*) AS count FROM gc_candidate`;
      this.set(Number(rows[0]?.count ?? 0));
    },
  });
  new Gauge({
    name: "portfolio_gc_review_lag_seconds",
    help: "How long the oldest due garbage-collection candidate has waited past its review time",
    registers: [registry],
    async collect() {
      const rows = await database.prisma.$queryRaw<{ lag: number | null }[]>`
        SELECT EXTRACT(EPOCH FROM now() - min(review_after))::float8 AS lag
        FROM gc_candidate WHERE review_after <= now()`;
      this.set(Math.max(0, rows[0]?.lag ?? 0));
    },
  });
  const objects = new Counter({
    name: "portfolio_gc_reclaimed_objects_total",
    help: "Things garbage collection deleted, by kind",
    labelNames: ["kind"],
    registers: [registry],
  });
  const bytes = new Counter({
    name: "portfolio_gc_reclaimed_bytes_total",
    help: "Bytes garbage collection freed in blob storage, by kind",
    labelNames: ["kind"],
    registers: [registry],
  });
  return {
    reclaimed(item) {
      objects.inc({ kind: item.kind });
      if (item.bytes > 0) bytes.inc({ kind: item.kind }, item.bytes);
    },
  };
}
