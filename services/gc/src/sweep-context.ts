import type { BlobStorage } from "@portfolio/core";
import type { Db, MetadataDatabase, RecordEvent } from "@portfolio/metadata";
import { runChange } from "@portfolio/metadata";
import type { GcPolicy } from "./policy";
import type { OnReclaimed, Reclaimed } from "./reclaim";
import { emptyReport, type GcReport, tally } from "./report";

/**
 * How a reconciliation runs its steps. A real run commits each deletion in a
 * transaction of its own (locks held briefly, as for a queue review) and
 * deletes bytes after it; a dry run runs every step inside one transaction
 * that is rolled back at the end and deletes no bytes. Both take the same
 * steps through the same reviews, so a dry run's report is what a real run
 * would delete from the same state (see reconcile.ts).
 */
export interface SweepContext {
  readonly policy: GcPolicy;
  readonly storage: BlobStorage;
  readonly now: Date;
  readonly dryRun: boolean;
  readonly report: GcReport;
  /** Queries that pick what to review; in a dry run they see its own deletions. */
  read<T>(query: (db: Db) => Promise<T>): Promise<T>;
  /** One deletion's change, with its events. */
  change<T>(work: (tx: Db, record: RecordEvent) => Promise<T>): Promise<T>;
  /** Counts what went, tells `onReclaimed`, then (unless dry) runs `deleteBytes`. */
  reclaimed(item: Reclaimed, deleteBytes?: () => Promise<void>): Promise<void>;
  /** Storage keys and upload ids reclaimed in this run, not to be counted again as orphans. */
  readonly freedKeys: Set<string>;
}

export interface SweepOptions {
  database: MetadataDatabase;
  storage: BlobStorage;
  policy: GcPolicy;
  onReclaimed?: OnReclaimed;
  onProgress?: (report: GcReport) => void;
}

/** A dry run's whole transaction may run long; a real run's changes are short. */
const DRY_RUN_TIMEOUT_MS = 6 * 60 * 60 * 1000;

class DryRunRollback extends Error {}

export async function withSweepContext(
  options: SweepOptions,
  dryRun: boolean,
  run: (context: SweepContext) => Promise<void>,
): Promise<GcReport> {
  if (!dryRun) {
    const context = makeContext(options, false, options.database.prisma, (work) =>
      runChange(options.database, work),
    );
    await run(context);
    return context.report;
  }

  let report: GcReport | undefined;
  await runChange(
    options.database,
    async (tx, record) => {
      const context = makeContext(options, true, tx, (work) => work(tx, record));
      await run(context);
      report = context.report;
      throw new DryRunRollback();
    },
    { timeout: DRY_RUN_TIMEOUT_MS },
  ).catch((error: unknown) => {
    if (!(error instanceof DryRunRollback)) throw error;
  });
  return report ?? emptyReport();
}

function makeContext(
  options: SweepOptions,
  dryRun: boolean,
  db: Db,
  change: SweepContext["change"],
): SweepContext {
  const report = emptyReport();
  return {
    policy: options.policy,
    storage: options.storage,
    now: new Date(),
    dryRun,
    report,
    freedKeys: new Set(),
    read: (query) => query(db),
    change,
    async reclaimed(item, deleteBytes) {
      tally(report, item);
      options.onReclaimed?.(item);
      options.onProgress?.(report);
      if (!dryRun && deleteBytes !== undefined) await deleteBytes();
    },
  };
}
