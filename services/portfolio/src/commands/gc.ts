import { formatBytes, reclaimedBytes, reconcile } from "@portfolio/gc";
import { ConfigError } from "../config";
import { openGcBackends } from "../gc-backends";
import { readGcPolicy } from "../gc-config";
import { GcProgress } from "../gc-progress";

/**
 * `portfolio gc [--dry-run]`: one reconciliation of the whole registry (see
 * @portfolio/gc's reconcile), then exit. With --dry-run it reports what would
 * go, counts and bytes, and changes nothing. Progress goes to stderr, the
 * final report to stdout as one JSON line. Backends as the collector's
 * (gc-backends.ts), policy from PORTFOLIO_GC_* (gc-config.ts).
 */
export async function gc(
  env: NodeJS.ProcessEnv = process.env,
  args: string[] = process.argv.slice(3),
): Promise<void> {
  const unknown = args.filter((arg) => arg !== "--dry-run");
  if (unknown.length > 0) throw new ConfigError("usage: portfolio gc [--dry-run]");
  const dryRun = args.includes("--dry-run");
  const policy = readGcPolicy(env);
  const backends = await openGcBackends(env);
  const progress = new GcProgress(dryRun ? "gc dry run, would reclaim" : "gc reclaimed");

  try {
    const report = await reconcile(
      { ...backends, policy, onProgress: (report) => progress.update(report) },
      dryRun,
    );
    progress.done(report);
    const total = reclaimedBytes(report);
    process.stdout.write(
      `${JSON.stringify({ dryRun, bytes: total, size: formatBytes(total), report })}\n`,
    );
  } finally {
    await backends.close();
  }
}
