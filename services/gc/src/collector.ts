import { setTimeout as sleep } from "node:timers/promises";
import type { BlobStorage } from "@portfolio/core";
import type { MetadataDatabase } from "@portfolio/metadata";
import type { Logger } from "pino";
import type { GcPolicy } from "./policy";
import { reviewDue } from "./queue";
import type { OnReclaimed } from "./reclaim";
import { reconcile } from "./reconcile";
import { formatReport } from "./report";

export interface CollectorOptions {
  database: MetadataDatabase;
  storage: BlobStorage;
  policy: GcPolicy;
  logger: Logger;
  onReclaimed?: OnReclaimed;
  /** How long to wait when the queue has nothing due; default 5 s. */
  pollIntervalMs?: number;
  /** How often to reconcile the whole registry; 0 never. Default a day. */
  reconcileIntervalMs?: number;
}

/** Candidates reviewed before the loop looks at the clock for a reconciliation. */
const BATCH = 100;

/**
 * The collector role: reviews the queue's due candidates, sleeps when none is
 * due, and reconciles the whole registry every `reconcileIntervalMs` (first
 * one interval after start, so that restarts do not sweep repeatedly). Any
 * number may run against one database: the queue is claimed with SKIP LOCKED
 * and every deletion re-checks under row locks. A failed round is logged and
 * retried after the poll interval; nothing half done is left behind by one.
 */
export class GarbageCollector {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly wake = new AbortController();

  constructor(private readonly options: CollectorOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the review or reconciliation step in hand. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { logger, reconcileIntervalMs = 24 * 60 * 60 * 1000 } = this.options;
    let nextReconcile = reconcileIntervalMs > 0 ? Date.now() + reconcileIntervalMs : Infinity;
    while (this.running) {
      try {
        if (Date.now() >= nextReconcile) {
          nextReconcile = Date.now() + reconcileIntervalMs;
          await this.reconcile();
        }
        if ((await reviewDue(this.options, BATCH)) === BATCH) continue;
      } catch (error) {
        logger.warn({ err: error }, "garbage collection round failed");
      }
      await this.pause();
    }
  }

  private async reconcile(): Promise<void> {
    const report = await reconcile(this.options);
    this.options.logger.info({ report }, `reconciled: ${formatReport(report)}`);
  }

  private async pause(): Promise<void> {
    const ms = Math.min(this.options.pollIntervalMs ?? 5000, 2_147_483_647);
    await sleep(ms, undefined, { signal: this.wake.signal }).catch(() => undefined);
  }
}
