import { EVENT_TYPES } from "@portfolio/core";
import type { KafkaMessage } from "kafkajs";
import pino from "pino";
import { Registry } from "prom-client";
import { scrape } from "../../../../test-support/prometheus-text";
import {
  consumerLag,
  GcFeed,
  type KafkaAdminClient,
  KafkaEventLoop,
  registerConsumerMetrics,
} from "../../src";
import { useEmbeddedDatabase } from "../helpers";
import { event, fakeClient, record } from "./support";

interface Watermarks {
  partition: number;
  low: number;
  high: number;
}

/**
 * Stands in for a kafkajs admin client: the topic's watermarks and the
 * group's committed offsets (-1: none), as the brokers would answer them.
 */
function fakeAdmin(watermarks: Watermarks[], committed: Record<number, number>) {
  const calls: string[] = [];
  const admin: KafkaAdminClient = {
    connect: async () => void calls.push("connect"),
    disconnect: async () => void calls.push("disconnect"),
    fetchTopicOffsets: async () =>
      watermarks.map(({ partition, low, high }) => ({
        partition,
        offset: String(high),
        high: String(high),
        low: String(low),
      })),
    fetchOffsets: async ({ topics }) =>
      (topics ?? []).map((topic) => ({
        topic,
        partitions: Object.entries(committed).map(([partition, offset]) => ({
          partition: Number(partition),
          offset: String(offset),
          metadata: null,
        })),
      })),
  };
  return { admin, calls };
}

const logger = pino({ level: "silent" });

describe("consumer lag", () => {
  it("is the high watermark minus the committed (or else the low) offset", async () => {
    const { admin } = fakeAdmin(
      [
        { partition: 0, low: 0, high: 10 },
        { partition: 1, low: 2, high: 5 },
        { partition: 2, low: 4, high: 6 },
        { partition: 3, low: 0, high: 9 },
      ],
      // Partition 1 was never committed on; 2's commit is older than retention.
      { 0: 7, 1: -1, 2: 1, 3: 9 },
    );

    const lag = await consumerLag(admin, "portfolio-gc-feed", "t");

    expect(lag).toEqual([
      { partition: 0, lag: 3 },
      { partition: 1, lag: 3 },
      { partition: 2, lag: 2 },
      { partition: 3, lag: 0 },
    ]);
  });

  it("waits out a group coordinator that is still loading, and no other error", async () => {
    const { admin } = fakeAdmin([{ partition: 0, low: 0, high: 4 }], { 0: 1 });
    const answer = admin.fetchOffsets;
    // How kafkajs reports COORDINATOR_LOAD_IN_PROGRESS (a KafkaJSProtocolError).
    const loading = Object.assign(new Error("The coordinator is loading"), { retriable: true });
    let asked = 0;
    admin.fetchOffsets = async (request) => {
      asked += 1;
      if (asked <= 2) throw loading;
      return answer(request);
    };

    expect(await consumerLag(admin, "portfolio-gc-feed", "t")).toEqual([{ partition: 0, lag: 3 }]);
    expect(asked).toBe(3);

    const denied = Object.assign(new Error("Not authorized"), { retriable: false });
    admin.fetchOffsets = async () => {
      asked += 1;
      throw denied;
    };
    await expect(consumerLag(admin, "portfolio-gc-feed", "t")).rejects.toBe(denied);
    expect(asked).toBe(4);
  });

  it("is left out of a scrape when the brokers are slow; the rest is served", async () => {
    const registry = new Registry();
    const metrics = registerConsumerMetrics(registry, "gc-feed", {
      lag: () => new Promise(() => {}),
      logger,
      lagTimeoutMs: 50,
    });

    metrics.processed("applied");

    const text = await registry.metrics();
    expect(text).not.toMatch(/^portfolio_consumer_lag_events\{/m);
    expect(await scrape(registry, "portfolio_consumer_events_total", { outcome: "applied" })).toBe(
      1,
    );
  });
});

describe("the Kafka loop's metrics", () => {
  const database = useEmbeddedDatabase();

  it("count records by outcome and report the group's lag per partition", async () => {
    const { client, deliver } = fakeClient();
    const { admin, calls } = fakeAdmin(
      [
        { partition: 0, low: 0, high: 12 },
        { partition: 1, low: 0, high: 4 },
      ],
      { 0: 9 },
    );
    const registry = new Registry();
    const loop = new KafkaEventLoop(client, database(), new GcFeed(), {
      topic: "t",
      logger,
      metrics: registry,
      admin,
    });
    await loop.start();
    const deleted = event(EVENT_TYPES.blobDeleted, { repository: "m/a", digest: "sha256:m" });
    const created = event(EVENT_TYPES.repositoryCreated, { repository: "m/a" });

    await deliver(record(deleted, 7));
    await deliver(record(deleted, 7));
    await deliver(record(created, 8));
    const headless = { ...record(deleted, 9), headers: { ce_type: EVENT_TYPES.blobDeleted } };
    await deliver(headless as KafkaMessage);

    const events = (outcome: string) =>
      scrape(registry, "portfolio_consumer_events_total", { consumer: "gc-feed", outcome });
    expect(await events("applied")).toBe(1);
    expect(await events("duplicate")).toBe(1);
    expect(await events("ignored")).toBe(1);
    expect(await events("malformed")).toBe(1);
    const lag = (partition: string) =>
      scrape(registry, "portfolio_consumer_lag_events", { consumer: "gc-feed", partition });
    expect(await lag("0")).toBe(3);
    expect(await lag("1")).toBe(4);
    await loop.stop();
    expect(calls).toEqual(["connect", "disconnect"]);
  });
});
