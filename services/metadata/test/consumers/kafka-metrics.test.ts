import { randomUUID } from "node:crypto";
import { EVENT_TYPES } from "@portfolio/core";
import { Kafka, logLevel } from "kafkajs";
import pino from "pino";
import { Registry } from "prom-client";
import { scrape } from "../../../../test-support/prometheus-text";
import { consumerLag, createKafkaEventLoop, GcFeed, toMessage } from "../../src";
import { useEmbeddedDatabase } from "../helpers";
import { waitFor } from "../outbox/support";
import { event } from "./support";

const brokers = (process.env.PORTFOLIO_TEST_KAFKA_BROKERS ?? "").split(",").filter(Boolean);
const describeKafka = brokers.length > 0 ? describe : describe.skip;

describeKafka("consumer metrics on Kafka (PORTFOLIO_TEST_KAFKA_BROKERS)", () => {
  const kafka = new Kafka({ brokers, clientId: "portfolio-test", logLevel: logLevel.NOTHING });
  const database = useEmbeddedDatabase();

  it("reports what a group has yet to read, then none once the loop applied it", async () => {
    const topic = `portfolio.test.${randomUUID()}`;
    const events = ["a", "b", "c", "d", "e"].map((name) =>
      event(EVENT_TYPES.blobDeleted, { repository: `lag/${name}`, digest: `sha256:${name}` }),
    );
    const consumer = new GcFeed();
    const group = `portfolio-${consumer.name}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: events.map(toMessage) });
      await producer.disconnect();

      const before = await consumerLag(admin, group, topic);
      expect(before.reduce((sum, { lag }) => sum + lag, 0)).toBe(5);
    } finally {
      await admin.disconnect();
    }

    const registry = new Registry();
    const logger = pino({ level: "silent" });
    const loop = createKafkaEventLoop(database(), consumer, {
      brokers,
      topic,
      logger,
      metrics: registry,
    });
    await loop.start();
    try {
      const applied = () =>
        scrape(registry, "portfolio_consumer_events_total", { outcome: "applied" });
      await waitFor(async () => (await applied()) === 5, 30_000);
      // The offset is committed after the effect: wait for the last commit to reach the broker.
      const lag = async (partition: string) =>
        scrape(registry, "portfolio_consumer_lag_events", { consumer: "gc-feed", partition });
      await waitFor(async () => (await lag("0")) === 0 && (await lag("1")) === 0, 10_000);
    } finally {
      await loop.stop();
    }
  });
});
