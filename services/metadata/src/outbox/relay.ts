import type { EventPublisher } from "@portfolio/core";
import type { Logger } from "pino";
import type { MetadataDatabase } from "../database";
import { Prisma } from "../generated/prisma/client";
import type { Db } from "../sql";
import {
  countUnpublished,
  deletePublished,
  markPublished,
  type OutboxRow,
  toRegistryEvent,
  unpublishedRows,
} from "./rows";

/**
 * The advisory lock every relay of one database takes around a batch. A
 * transaction-level lock: a relay that dies mid-batch loses its connection, its
 * transaction aborts and the lock is free again at once (no lease to expire).
 */
const RELAY_LOCK = Prisma.raw("pg_try_advisory_xact_lock(7085001)");

export interface OutboxRelayOptions {
  /** The published events' `source` (CloudEvents): names the installation. */
  source?: string;
  /** Rows per batch; 500 unless set. */
  batchSize?: number;
  /** Pause after an empty (or partial) batch, or while another relay leads; 200 ms. */
  idleMs?: number;
  /** Backoff after a failed publish doubles from idleMs up to this; 10 s. */
  maxBackoffMs?: number;
  /** A publish that takes longer fails (and is retried); 30 s. */
  publishTimeoutMs?: number;
  /** Published rows are deleted once they are this old; 10 minutes. 0 never prunes. */
  pruneAfterMs?: number;
  /** How often the relay prunes; 60 s. */
  pruneIntervalMs?: number;
  /** Rows deleted per pruning statement; 1000. */
  pruneBatchSize?: number;
  /**
   * `lock` (the default): batches run in a transaction under an advisory lock,
   * for several relays on one Postgres. `single`: no transaction around the
   * publish, for the only relay of a database (PGlite: one process per data
   * dir) whose publisher itself writes to that database, which a transaction
   * held across the publish would deadlock on PGlite's single session.
   */
  coordination?: "lock" | "single";
  /** Told how many events each batch published (a metric counter). */
  onPublished?: (count: number) => void;
  logger?: Logger;
}

/** What one `runOnce` did. */
export type BatchResult =
  | { status: "published"; count: number; full: boolean }
  | { status: "idle" }
  /** Another relay holds the lock. */
  | { status: "busy" };

const DEFAULTS = {
  coordination: "lock" as "lock" | "single",
  source: "/portfolio",
  batchSize: 500,
  idleMs: 200,
  maxBackoffMs: 10_000,
  publishTimeoutMs: 30_000,
  pruneAfterMs: 10 * 60_000,
  pruneIntervalMs: 60_000,
  pruneBatchSize: 1000,
};

/**
 * Publishes the transactional outbox: unpublished `outbox_event` rows, oldest
 * first, in batches handed to an EventPublisher, each marked published in the
 * same transaction once the publisher has acknowledged it. Any number of
 * relays may run on one database (one per metadata replica): a batch runs
 * under an advisory lock, so one relay publishes at a time, batches never
 * overlap (no duplicate storms) and events leave in sequence order. A failed
 * or timed-out publish rolls the batch back; it is retried after a backoff,
 * so events are delivered at least once and never lost.
 *
 * The relay neither owns the database nor the publisher: whoever built them
 * closes them after `stop()`.
 */
export class OutboxRelay {
  private readonly options: typeof DEFAULTS & OutboxRelayOptions;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private lastPrune = Date.now();
  /** Batches of this relay run one at a time, whoever calls runOnce. */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly database: MetadataDatabase,
    private readonly publisher: EventPublisher,
    options: OutboxRelayOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...definedOnly(options) };
  }

  /** Starts the polling loop; idempotent. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Finishes the batch in progress (publish and mark), then stops polling. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  /** Ends the current pause at once, e.g. right after events were written. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Events waiting to be published. */
  backlog(): Promise<number> {
    return countUnpublished(this.database.prisma);
  }

  /**
   * One batch: take the lock (or report `busy`), read the oldest unpublished
   * rows, publish them, mark them. Throws when the publisher fails; nothing is
   * marked then.
   */
  runOnce(): Promise<BatchResult> {
    const next = this.inFlight.then(
      () => this.batchOnce(),
      () => this.batchOnce(),
    );
    this.inFlight = next.catch(() => undefined);
    return next;
  }

  private batchOnce(): Promise<BatchResult> {
    const prisma = this.database.prisma;
    if (this.options.coordination === "single") return this.batch(prisma, false);
    return prisma.$transaction((tx) => this.batch(tx, true), {
      // The publish runs inside the transaction, so it must fit in it.
      timeout: this.options.publishTimeoutMs + 15_000,
      maxWait: 30_000,
    });
  }

  /** Deletes rows published more than `pruneAfterMs` ago; how many went. */
  async prune(): Promise<number> {
    const { pruneAfterMs, pruneBatchSize } = this.options;
    if (pruneAfterMs <= 0) return 0;
    const before = new Date(Date.now() - pruneAfterMs);
    let total = 0;
    // Small statements keep locks and WAL per statement short; stop when done.
    for (let round = 0; round < 100; round += 1) {
      const deleted = await deletePublished(this.database.prisma, before, pruneBatchSize);
      total += deleted;
      if (deleted < pruneBatchSize || this.stopping) break;
    }
    return total;
  }

  private async batch(tx: Db, lock: boolean): Promise<BatchResult> {
    if (lock) {
      const [row] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT ${RELAY_LOCK} AS locked`;
      if (!row?.locked) return { status: "busy" };
    }

    const rows = await unpublishedRows(tx, this.options.batchSize);
    if (rows.length === 0) return { status: "idle" };

    await this.publish(rows);
    await markPublished(tx, rows);
    return {
      status: "published",
      count: rows.length,
      full: rows.length === this.options.batchSize,
    };
  }

  private async publish(rows: readonly OutboxRow[]): Promise<void> {
    const events = rows.map((row) => toRegistryEvent(row, this.options.source));
    const { publishTimeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`publishing took longer than ${publishTimeoutMs} ms`)),
        publishTimeoutMs,
      );
    });
    try {
      await Promise.race([this.publisher.publish(events), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    const { idleMs, maxBackoffMs } = this.options;
    const logger = this.options.logger;
    let backoff = idleMs;
    let failing = false;
    while (!this.stopping) {
      let pause = idleMs;
      try {
        const result = await this.runOnce();
        if (result.status === "published") {
          this.options.onPublished?.(result.count);
          if (result.full) pause = 0;
        }
        if (failing) logger?.info("outbox relay publishing again");
        failing = false;
        backoff = idleMs;
        await this.pruneWhenDue();
      } catch (error) {
        if (!failing) logger?.warn({ err: error }, "outbox relay: publish failed, will retry");
        failing = true;
        pause = backoff;
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
      if (pause > 0 && !this.stopping) await this.sleep(pause);
    }
  }

  private async pruneWhenDue(): Promise<void> {
    if (Date.now() - this.lastPrune < this.options.pruneIntervalMs) return;
    this.lastPrune = Date.now();
    try {
      const deleted = await this.prune();
      if (deleted > 0) this.options.logger?.debug({ deleted }, "outbox relay pruned");
    } catch (error) {
      this.options.logger?.warn({ err: error }, "outbox relay: pruning failed");
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

/** Options left undefined take the defaults instead of overriding them. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
