import { setTimeout as sleep } from "node:timers/promises";
import type { Admin } from "kafkajs";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { ApplyOutcome } from "./consumer";

/** What became of one record: `applyOnce`'s outcome, or `malformed` when it was no event. */
export type ConsumerOutcome = ApplyOutcome | "malformed";
const OUTCOMES: readonly ConsumerOutcome[] = ["applied", "duplicate", "ignored", "malformed"];

/** The parts of a kafkajs admin client the lag is read with (a fake stands in for it in tests). */
export type KafkaAdminClient = Pick<
  Admin,
  "connect" | "disconnect" | "fetchTopicOffsets" | "fetchOffsets"
>;

/** How many records of one partition the consumer group has yet to process. */
export interface PartitionLag {
  partition: number;
  lag: number;
}

/**
 * The lag of consumer group `groupId` on each partition of `topic`: the high
 * watermark (the offset the next record will get) minus the group's committed
 * offset (the next record it will process). A partition the group has never
 * committed on, or whose committed records retention has since removed, counts
 * from its low watermark, where the loop starts. Read from the brokers, so it
 * is the whole group's lag, whichever replica owns a partition.
 */
export async function consumerLag(
  admin: KafkaAdminClient,
  groupId: string,
  topic: string,
): Promise<PartitionLag[]> {
  const [watermarks, groupOffsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    retried(() => admin.fetchOffsets({ groupId, topics: [topic] })),
  ]);
  const committed = new Map(
    (groupOffsets.find((entry) => entry.topic === topic)?.partitions ?? []).map(
      ({ partition, offset }) => [partition, BigInt(offset)],
    ),
  );
  return watermarks.map(({ partition, high, low }) => {
    const next = committed.get(partition) ?? -1n;
    const from = next > BigInt(low) ? next : BigInt(low);
    const lag = BigInt(high) - from;
    return { partition, lag: lag > 0n ? Number(lag) : 0 };
  });
}

/**
 * kafkajs retries most admin calls itself, but not fetchOffsets. Its group
 * coordinator answers a retriable error while it loads the group's offsets
 * (for a while after a broker starts), so a scrape then would see no lag:
 * retry for about 2 s, within a scrape's wait for the lag.
 */
async function retried<T>(read: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt === attempts) throw error;
      await sleep(200 * attempt);
    }
  }
}

/** The metrics of one consumer, on a registry of the caller's. */
export interface ConsumerMetrics {
  processed(outcome: ConsumerOutcome): void;
}

export interface ConsumerMetricsOptions {
  /** Reads the lag at scrape time; without it, no lag is reported. */
  lag?: () => Promise<PartitionLag[]>;
  logger: Logger;
  /** How long a scrape waits for the lag before it reports none; 5 s unless set. */
  lagTimeoutMs?: number;
}

/**
 * Registers `portfolio_consumer_events_total{consumer,outcome}` (records this
 * process handled, by outcome, every outcome present from the start) and
 * `portfolio_consumer_lag_events{consumer,partition}` (read at scrape time).
 * When the lag cannot be read in time (the brokers are down), it is left out
 * of that scrape and a warning logged, so the other metrics still answer.
 */
export function registerConsumerMetrics(
  registry: Registry,
  consumer: string,
  options: ConsumerMetricsOptions,
): ConsumerMetrics {
  const events = new Counter({
    name: "portfolio_consumer_events_total",
    help: "Records this consumer handled: applied, duplicate (seen before), ignored or malformed",
    labelNames: ["consumer", "outcome"],
    registers: [registry],
  });
  for (const outcome of OUTCOMES) events.inc({ consumer, outcome }, 0);
  if (options.lag) registerLag(registry, consumer, options.lag, options);
  return { processed: (outcome) => events.inc({ consumer, outcome }) };
}

function registerLag(
  registry: Registry,
  consumer: string,
  lag: () => Promise<PartitionLag[]>,
  { logger, lagTimeoutMs = 5000 }: ConsumerMetricsOptions,
): void {
  new Gauge({
    name: "portfolio_consumer_lag_events",
    help: "Records on the events topic the consumer group has yet to process, by partition",
    labelNames: ["consumer", "partition"],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const { partition, lag: events } of await within(lag(), lagTimeoutMs)) {
          this.set({ consumer, partition: String(partition) }, events);
        }
      } catch (error) {
        logger.warn({ err: error }, "consumer lag unavailable");
      }
    },
  });
}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
