import type { GcReport } from "./report";
import { type SweepOptions, withSweepContext } from "./sweep-context";
import { sweepBlobs, sweepLinks, sweepManifests } from "./sweep-metadata";
import { sweepOrphans } from "./sweep-orphans";
import { sweepUploads } from "./sweep-uploads";

/**
 * Mark and sweep over the whole registry, so that a lost or late event never
 * leaks storage for ever: the queue is an optimisation, this is the guarantee.
 * The marks are SQL anti-joins (what no tag, index, manifest or link names);
 * each thing found is then reviewed under its row locks exactly as a queued
 * candidate is, so a reconciliation racing pushes is as safe as the queue.
 * The order lets one run finish what it starts: manifests first (their blobs'
 * links then go unreferenced), links (their blobs then go unlinked), blobs,
 * expired upload sessions, and last the stored objects no metadata names.
 *
 * Killed at any point, it leaves only committed deletions and, at worst,
 * bytes whose metadata is gone, which the next run's orphan sweep removes.
 *
 * `dryRun` takes the same steps in one transaction that is rolled back, and
 * deletes no bytes: its report is what a real run would reclaim from the same
 * state. While it runs, pushes that reference something it would delete wait
 * for it (it holds those rows' locks), then go ahead as if it never ran.
 */
export function reconcile(options: SweepOptions, dryRun = false): Promise<GcReport> {
  return withSweepContext(options, dryRun, async (context) => {
    await sweepManifests(context);
    await sweepLinks(context);
    await sweepBlobs(context);
    await sweepUploads(context);
    await sweepOrphans(context);
  });
}
