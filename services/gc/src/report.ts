import type { Reclaimed } from "./reclaim";

/** Counts and bytes of what a run reclaimed (or, dry, would reclaim), by kind. */
export type GcReport = Record<Reclaimed["kind"], { count: number; bytes: number }>;

export function emptyReport(): GcReport {
  const zero = () => ({ count: 0, bytes: 0 });
  return {
    manifest: zero(),
    "blob-link": zero(),
    blob: zero(),
    upload: zero(),
    "orphan-blob": zero(),
    "orphan-upload": zero(),
  };
}

export function tally(report: GcReport, item: Reclaimed): void {
  report[item.kind].count += 1;
  report[item.kind].bytes += item.bytes;
}

/** One line: `manifests 2, links 5, blobs 4 (1.2 MB), …`. */
export function formatReport(report: GcReport): string {
  const parts = [
    `manifests ${report.manifest.count}`,
    `blob links ${report["blob-link"].count}`,
    `blobs ${counted(report.blob)}`,
    `expired uploads ${counted(report.upload)}`,
    `orphan blobs ${counted(report["orphan-blob"])}`,
    `orphan uploads ${counted(report["orphan-upload"])}`,
  ];
  return parts.join(", ");
}

export function reclaimedBytes(report: GcReport): number {
  return Object.values(report).reduce((sum, { bytes }) => sum + bytes, 0);
}

function counted({ count, bytes }: { count: number; bytes: number }): string {
  return `${count} (${formatBytes(bytes)})`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
