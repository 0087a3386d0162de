import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux build in use. */
const TICKS = 100;

export interface ProcessSet {
  /** Named single processes, e.g. { gateway: 1234 }. */
  processes: Record<string, number>;
  /** A postmaster pid: its children (the backends) are sampled too, as one entry. */
  postgres?: number;
}

export interface Sampled {
  /** Highest VmRSS seen per process while sampling, MiB. */
  peakRssMiB: Record<string, number>;
  /** CPU seconds (user + system) spent per process while sampling. */
  cpuSeconds: Record<string, number>;
}

/**
 * Samples resident memory from /proc every `intervalMs` while a transfer
 * runs, and CPU time at its start and end. Postgres is reported as one
 * entry: the largest single process's RSS (backends share the buffer
 * cache, so a sum would count it many times), and the sum of CPU time.
 */
export class ProcSampler {
  private readonly peak: Record<string, number> = {};
  private readonly cpuBefore: Map<number, number>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly set: ProcessSet,
    intervalMs = 50,
  ) {
    this.cpuBefore = new Map(this.pids().map(([, pid]) => [pid, cpuTicks(pid)]));
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): Sampled {
    clearInterval(this.timer);
    this.sample();
    const cpuSeconds: Record<string, number> = {};
    for (const [name, pid] of this.pids()) {
      const before = this.cpuBefore.get(pid);
      if (before === undefined) continue; // a backend that started meanwhile
      cpuSeconds[name] = (cpuSeconds[name] ?? 0) + (cpuTicks(pid) - before) / TICKS;
    }
    return { peakRssMiB: { ...this.peak }, cpuSeconds };
  }

  private sample(): void {
    for (const [name, pid] of this.pids()) {
      const rss = statusField(pid, "VmRSS");
      if (rss !== undefined) this.peak[name] = Math.max(this.peak[name] ?? 0, rss / 1024);
    }
  }

  /** [name, pid] pairs, postgres and each of its children under the one name "postgres". */
  private pids(): Array<[string, number]> {
    const pairs = Object.entries(this.set.processes);
    const { postgres } = this.set;
    if (postgres === undefined) return pairs;
    return [
      ...pairs,
      ...[postgres, ...childrenOf(postgres)].map((pid): [string, number] => ["postgres", pid]),
    ];
  }
}

/** Lifetime peak RSS (VmHWM) per process, MiB. */
export function lifetimePeaks(set: ProcessSet): Record<string, number> {
  const peaks: Record<string, number> = {};
  for (const [name, pid] of Object.entries(set.processes)) {
    const hwm = statusField(pid, "VmHWM");
    if (hwm !== undefined) peaks[name] = hwm / 1024;
  }
  return peaks;
}

/** A kB field of /proc/<pid>/status; undefined once the process is gone. */
function statusField(pid: number, field: string): number | undefined {
  const text = readOrEmpty(`/proc/${pid}/status`);
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

function cpuTicks(pid: number): number {
  // The command name, field 2, may hold spaces; fields after its ")" are fixed.
  const text = readOrEmpty(`/proc/${pid}/stat`);
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime, stime
}

function childrenOf(pid: number): number[] {
  const direct = readOrEmpty(`/proc/${pid}/task/${pid}/children`).trim();
  if (direct !== "") return direct.split(/\s+/).map(Number);
  // Kernels without CONFIG_PROC_CHILDREN: scan for processes whose parent is pid.
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => parentOf(child) === pid);
}

function parentOf(pid: number): number | undefined {
  const match = /^PPid:\s+(\d+)/m.exec(readOrEmpty(`/proc/${pid}/status`));
  return match ? Number(match[1]) : undefined;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
