import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { streamedDigest } from "./data";
import { OciClient } from "./oci";
import { lifetimePeaks, type ProcessSet, ProcSampler, type Sampled } from "./proc";
import { median, round, table } from "./stats";
import {
  type LargeBlob,
  MiB,
  makeSmallSet,
  pullLarge,
  pullSmall,
  pushLarge,
  pushSmall,
  type SmallSet,
} from "./workloads";

interface Target extends ProcessSet {
  name: string;
  url: string;
  client: OciClient;
  /** The peer on the same kind of storage, compared like for like. */
  peer?: string;
}

interface Measurement {
  round: number;
  workload: Workload;
  registry: string;
  seconds: number;
  mbps: number;
  sampled?: Sampled;
}

const WORKLOADS = ["push 1MiB", "pull 1MiB", "push 1GiB", "pull 1GiB"] as const;
type Workload = (typeof WORKLOADS)[number];
/** Distribution on its filesystem driver: every other registry is compared with it. */
const BASELINE = "distribution";

function isDistribution(name: string): boolean {
  return name.startsWith("distribution");
}

const settings = {
  rounds: envInt("BENCH_ROUNDS", 5),
  warmupRounds: envInt("BENCH_WARMUP_ROUNDS", 5),
  smallCount: envInt("BENCH_SMALL_COUNT", 200),
  concurrency: envInt("BENCH_SMALL_CONCURRENCY", 8),
  largeBytes: envInt("BENCH_LARGE_MIB", 1024) * MiB,
  /** Whether the registries on S3 answered blob GETs with presigned redirects (bench/run.sh). */
  redirect: envInt("BENCH_REDIRECT", 0) === 1,
};

async function main([targetsFile, outFile]: string[]): Promise<void> {
  if (!targetsFile || !outFile) throw new Error("usage: main.js TARGETS.json OUT.json");
  const config = JSON.parse(readFileSync(targetsFile, "utf8"));
  const targets: Target[] = config.registries.map((t: Omit<Target, "client">) => ({
    ...t,
    client: new OciClient(t.url),
  }));
  const loadBefore = os.loadavg();
  const started = Date.now();

  for (const target of targets) await target.client.probeSinglePost("bench/probe");
  // Warm-up rounds (1 MiB blobs, and 64 MiB for the large workloads), so that
  // what is measured is a server in its steady state: Node compiles hot code
  // only after it has run it often enough, and measured here a gateway's CPU
  // per 1 MiB pull keeps falling until some 1,000 pulls (~4.8 ms in its first
  // 200, ~1.2 ms after 2,000), which a registry that runs for days pays once.
  // Go has no such warm-up, and every registry gets the same rounds. Their
  // figures are kept in the record, apart from the measured ones.
  const warmup: Measurement[] = [];
  for (let w = 0; w < settings.warmupRounds; w++) {
    log(`warm-up ${w + 1} of ${settings.warmupRounds}: ${targets.map((t) => t.name).join(", ")}`);
    warmup.push(...(await runRound(targets, -1 - w, settings.smallCount, 64 * MiB)));
  }

  const measurements: Measurement[] = [];
  for (let r = 0; r < settings.rounds; r++) {
    log(`round ${r + 1} of ${settings.rounds}`);
    measurements.push(...(await runRound(targets, r, settings.smallCount, settings.largeBytes)));
  }

  const lifetime = Object.fromEntries(targets.map((t) => [t.name, lifetimePeaks(t)]));
  const results = summarise(targets, measurements, lifetime);
  const record = {
    date: new Date().toISOString(),
    seconds: round((Date.now() - started) / 1000, 1),
    settings,
    environment: {
      cpu: os.cpus()[0]?.model,
      cpus: os.cpus().length,
      kernel: os.release(),
      node: process.version,
      openssl: process.versions.openssl,
      distribution: config.distributionVersion,
      loadBefore: loadBefore.map((l) => round(l)),
      loadAfter: os.loadavg().map((l) => round(l)),
    },
    flows: Object.fromEntries(
      targets.map((t) => [
        t.name,
        {
          small: t.client.singlePost ? "POST ?digest (one request)" : "POST, then PUT ?digest",
          large: "POST, one chunked PATCH, empty PUT ?digest",
        },
      ]),
    ),
    ...results,
    measurements,
    warmup,
  };
  writeFileSync(outFile, `${JSON.stringify(record, null, 2)}\n`);
  printReport(targets, record);
  log(`results written to ${outFile}`);
  await Promise.all(targets.map((t) => t.client.close()));
}

/**
 * One round: each workload through every registry before the next workload,
 * the registry order reversed every other turn (A B C, C B A, …), so that
 * drift and neighbours' load fall on all of them alike.
 */
async function runRound(targets: Target[], r: number, smallCount: number, largeBytes: number) {
  const repository = `bench/r${r}`;
  const seed = `portfolio-bench/r${r}`;
  const small = await makeSmallSet(repository, `${seed}/small`, smallCount);
  const large: LargeBlob = {
    repository,
    seed: `${seed}/large`,
    length: largeBytes,
    digest: await streamedDigest(`${seed}/large`, largeBytes),
  };

  const measurements: Measurement[] = [];
  for (const [w, workload] of WORKLOADS.entries()) {
    const order = (r + 1 + w) % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const measured = await runOne(target, workload, small, large);
      measurements.push({ round: r, workload, registry: target.name, ...measured });
      log(`  ${workload.padEnd(9)} ${target.name.padEnd(18)} ${measured.mbps.toFixed(0)} MB/s`);
    }
  }
  return measurements;
}

async function runOne(target: Target, workload: Workload, small: SmallSet, large: LargeBlob) {
  const { client } = target;
  const sampler = new ProcSampler(target);
  const t0 = performance.now();
  let bytes: number;
  try {
    if (workload === "push 1MiB") bytes = await pushSmall(client, small, settings.concurrency);
    else if (workload === "pull 1MiB") bytes = await pullSmall(client, small, settings.concurrency);
    else if (workload === "push 1GiB") bytes = await pushLarge(client, large);
    else bytes = await pullLarge(client, large);
  } catch (error) {
    sampler.stop();
    throw new Error(`${workload} on ${target.name} failed`, { cause: error });
  }
  const seconds = (performance.now() - t0) / 1000;
  const sampled = sampler.stop();
  return { seconds: round(seconds, 3), mbps: round(bytes / 1e6 / seconds, 1), sampled };
}

function summarise(
  targets: Target[],
  measurements: Measurement[],
  lifetime: Record<string, Record<string, number>>,
) {
  const of = (workload: Workload, registry: string) =>
    measurements.filter((m) => m.workload === workload && m.registry === registry);
  type Ratio = { median: number; min: number; max: number };
  /** Per-round ratios, each against the baseline measured in the same round. */
  const ratioAgainst = (workload: Workload, name: string, baseline: string): Ratio => {
    const perRound = of(workload, name).flatMap((m) => {
      const base = of(workload, baseline).find((b) => b.round === m.round);
      return base ? [m.mbps / base.mbps] : [];
    });
    return {
      median: round(median(perRound)),
      min: round(Math.min(...perRound)),
      max: round(Math.max(...perRound)),
    };
  };
  const throughput: Record<string, Record<string, number>> = {};
  const ratios: Record<string, Record<string, Ratio>> = {};
  const peerRatios: Record<string, Record<string, Ratio>> = {};
  for (const workload of WORKLOADS) {
    const mbps: Record<string, number> = {};
    const vsBaseline: Record<string, Ratio> = {};
    const vsPeer: Record<string, Ratio> = {};
    for (const target of targets) {
      mbps[target.name] = median(of(workload, target.name).map((m) => m.mbps));
      if (isDistribution(target.name)) continue;
      vsBaseline[target.name] = ratioAgainst(workload, target.name, BASELINE);
      if (target.peer) vsPeer[target.name] = ratioAgainst(workload, target.name, target.peer);
    }
    throughput[workload] = mbps;
    ratios[workload] = vsBaseline;
    peerRatios[workload] = vsPeer;
  }

  // Peak RSS over all rounds (1 GiB workloads) and CPU-s per GB moved (median,
  // every workload), per process.
  const processes: Record<string, Record<string, Record<string, number>>> = {};
  for (const target of targets) {
    const perProcess: Record<string, Record<string, number>> = {};
    for (const workload of WORKLOADS) {
      const runs = of(workload, target.name);
      const gigabytes =
        (workload.endsWith("GiB") ? settings.largeBytes : settings.smallCount * MiB) / 1e9;
      for (const name of Object.keys(runs[0]?.sampled?.peakRssMiB ?? {})) {
        perProcess[name] ??= {};
        const entry = perProcess[name];
        if (workload.endsWith("GiB")) {
          entry[`${workload} peak RSS MiB`] = round(
            Math.max(...runs.map((m) => m.sampled?.peakRssMiB[name] ?? 0)),
            1,
          );
        }
        entry[`${workload} CPU-s/GB`] = round(
          median(runs.map((m) => (m.sampled?.cpuSeconds[name] ?? 0) / gigabytes)),
        );
      }
    }
    for (const [name, hwm] of Object.entries(lifetime[target.name] ?? {})) {
      perProcess[name] ??= {};
      perProcess[name]["lifetime peak RSS MiB"] = round(hwm, 1);
    }
    processes[target.name] = perProcess;
  }
  return {
    throughputMBps: throughput,
    ratiosVsDistribution: ratios,
    ratiosVsPeer: peerRatios,
    processes,
  };
}

function printReport(targets: Target[], record: ReturnType<typeof summarise>) {
  const names = targets.map((t) => t.name);
  const others = names.filter((n) => !isDistribution(n));
  const peered = targets.filter((t) => t.peer !== undefined);
  const header = [
    "MB/s (median)",
    ...names,
    ...others.map((n) => `${short(n)}/dist (min-max)`),
    ...peered.map((t) => `${short(t.name)}/${short(t.peer ?? "")} (min-max)`),
  ];
  const shown = (r: { median: number; min: number; max: number } | undefined) =>
    r ? `${r.median.toFixed(2)} (${r.min.toFixed(2)}-${r.max.toFixed(2)})` : "-";
  const rows = WORKLOADS.map((workload) => {
    const mbps = record.throughputMBps[workload] ?? {};
    return [
      workload,
      ...names.map((n) => (mbps[n] ?? Number.NaN).toFixed(0)),
      ...others.map((n) => shown(record.ratiosVsDistribution[workload]?.[n])),
      ...peered.map((t) => shown(record.ratiosVsPeer[workload]?.[t.name])),
    ];
  });
  process.stdout.write(`\n${table([header, ...rows])}\n\n`);

  const memoryRows = [
    ["process", "RSS push 1GiB", "RSS pull 1GiB", "lifetime RSS", ...WORKLOADS.map(cpuColumn)],
  ];
  for (const [registry, perProcess] of Object.entries(record.processes)) {
    for (const [name, e] of Object.entries(perProcess)) {
      const mib = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(0)} MiB`);
      const cpu = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(2));
      memoryRows.push([
        `${registry} ${name}`,
        mib(e["push 1GiB peak RSS MiB"]),
        mib(e["pull 1GiB peak RSS MiB"]),
        mib(e["lifetime peak RSS MiB"]),
        ...WORKLOADS.map((workload) => cpu(e[`${workload} CPU-s/GB`])),
      ]);
    }
  }
  process.stdout.write(`${table(memoryRows)}\n\n`);
}

function cpuColumn(workload: Workload): string {
  return `CPU-s/GB ${workload}`;
}

function short(name: string): string {
  return name.replace("portfolio-", "").replace("distribution", "dist");
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer`);
  return Number(raw);
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  if (error instanceof Error && error.cause)
    process.stderr.write(`cause: ${String(error.cause)}\n`);
  process.exit(1);
});
