import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { EVENT_TYPES } from "@portfolio/core";
import { type IHeaders, Kafka, logLevel } from "kafkajs";
import pino from "pino";
import { KafkaEventPublisher, OutboxRelay } from "../../src";
import { useEmbeddedDatabase } from "../helpers";
import { waitFor, writeEvents } from "./support";

const brokers = (process.env.PORTFOLIO_TEST_KAFKA_BROKERS ?? "").split(",").filter(Boolean);
const describeKafka = brokers.length > 0 ? describe : describe.skip;
const logger = pino({ level: "silent" });

interface Received {
  key: string;
  value: unknown;
  headers: Record<string, string>;
}

/** Reads `topic` from the beginning until `count` messages arrived. */
async function consume(topic: string, count: number): Promise<Received[]> {
  const kafka = new Kafka({ brokers, clientId: "portfolio-test", logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          key: message.key?.toString() ?? "",
          value: JSON.parse(message.value?.toString() ?? "null"),
          headers: strings(message.headers ?? {}),
        });
      },
    });
    await waitFor(async () => received.length >= count, 30_000);
    return received;
  } finally {
    await consumer.disconnect();
  }
}

function strings(headers: IHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describeKafka("outbox relay to Kafka (PORTFOLIO_TEST_KAFKA_BROKERS)", () => {
  const database = useEmbeddedDatabase();

  beforeEach(() => database().prisma.$executeRaw`TRUNCATE outbox_event`);

  it("delivers every event in order, keyed by repository, with CloudEvents headers", async () => {
    const topic = `portfolio.test.${randomUUID()}`;
    const a = await writeEvents(database(), "library/a", 30);
    const b = await writeEvents(database(), "library/b", 30);
    const a2 = await writeEvents(database(), "library/a", 10);
    const publisher = new KafkaEventPublisher({
      brokers,
      topic,
      clientId: "portfolio-test",
      logger,
    });
    const relay = new OutboxRelay(database(), publisher, { source: "/test", batchSize: 25 });
    try {
      relay.start();
      await waitFor(async () => (await relay.backlog()) === 0, 30_000);
    } finally {
      await relay.stop();
      await publisher.close();
    }

    const received = await consume(topic, 70);
    const ids = (key: string) => received.filter((m) => m.key === key).map((m) => m.headers.ce_id);
    expect(ids("library/a")).toEqual([...a, ...a2]);
    expect(ids("library/b")).toEqual(b);

    const first = received.find((m) => m.headers.ce_id === a[0]);
    expect(first).toEqual({
      key: "library/a",
      value: { repository: "library/a", tag: "t0", digest: `sha256:${"0".repeat(64)}` },
      headers: {
        ce_specversion: "1.0",
        ce_id: a[0],
        ce_type: EVENT_TYPES.tagSet,
        ce_source: "/test",
        ce_time: expect.stringMatching(/Z$/),
        "content-type": "application/json",
        "x-request-id": "req-0",
      },
    });
    expect(received.find((m) => m.headers.ce_id === a[1])?.headers).not.toHaveProperty(
      "x-request-id",
    );
  }, 90_000);

  it("fails a publish when no broker answers, leaving the batch unpublished", async () => {
    await writeEvents(database(), "library/down", 3);
    const publisher = new KafkaEventPublisher({
      brokers: [`127.0.0.1:${await closedPort()}`],
      logger,
      kafka: { retry: { retries: 1, initialRetryTime: 100 }, connectionTimeout: 500 },
    });
    const relay = new OutboxRelay(database(), publisher, { publishTimeoutMs: 10_000 });
    try {
      await expect(relay.runOnce()).rejects.toThrow();
      expect(await relay.backlog()).toBe(3);
    } finally {
      await publisher.close();
    }
  }, 30_000);
});

if (brokers.length === 0) {
  it.skip("outbox relay to Kafka: set PORTFOLIO_TEST_KAFKA_BROKERS (see kafka.sh)", () => {});
}
