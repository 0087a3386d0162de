import { Counter, Gauge, Registry } from "prom-client";
import type { MetadataDatabase } from "../database";
import { countUnpublished } from "./rows";

/** The relay's Prometheus metrics, registered once per registry. */
export interface OutboxMetrics {
  /** Pass as the relay's `onPublished`. */
  published(count: number): void;
}

/**
 * Registers `portfolio_outbox_backlog` (unpublished events, counted at scrape
 * time, so it is right whichever replica is leading) and
 * `portfolio_outbox_published_total` (events this process published).
 */
export function registerOutboxMetrics(
  registry: Registry,
  backlog: () => Promise<number>,
): OutboxMetrics {
  new Gauge({
    name: "portfolio_outbox_backlog",
    help: "Events in the outbox not yet published",
    registers: [registry],
    async collect() {
      this.set(await backlog());
    },
  });
  const published = new Counter({
    name: "portfolio_outbox_published_total",
    help: "Events this process published from the outbox",
    registers: [registry],
  });
  return { published: (count) => published.inc(count) };
}

/**
 * The metadata role's registry: the outbox metrics, with the backlog counted
 * in `database` (right whether or not this process runs the relay).
 */
export function createMetadataMetrics(database: MetadataDatabase): {
  registry: Registry;
  outbox: OutboxMetrics;
} {
  const registry = new Registry();
  const outbox = registerOutboxMetrics(registry, () => countUnpublished(database.prisma));
  return { registry, outbox };
}
