export { type CollectorOptions, GarbageCollector } from "./collector";
export { type GcMetrics, registerGcMetrics } from "./metrics";
export type { ReviewOutcome } from "./outcome";
export { DEFAULT_GC_POLICY, type GcPolicy } from "./policy";
export { type QueueOptions, reviewDue } from "./queue";
export type { OnReclaimed, Reclaimed } from "./reclaim";
export { reconcile } from "./reconcile";
export { emptyReport, formatBytes, formatReport, type GcReport, reclaimedBytes } from "./report";
export type { SweepOptions } from "./sweep-context";
