#!/usr/bin/env node
// An outside consumer of Portfolio's events, written only against the
// contract in docs/events.md: one Kafka topic, each record's key is the
// repository, its value the JSON payload, and the CloudEvents envelope rides
// in headers (ce_id, ce_type, ce_source, ce_time, ce_specversion and, when
// known, x-request-id). It prints one JSON line per event.
//
//   KAFKA_BROKERS=127.0.0.1:9092 node examples/event-consumer/consume.mjs
//
//   KAFKA_BROKERS      host:port[,host:port…] (required)
//   KAFKA_TOPIC        default portfolio.events
//   KAFKA_GROUP        consumer group, default a fresh one (reads from the start)
//   EXPECT_REPOSITORY  exit 0 as soon as a manifest.pushed event for this
//                      repository arrives, and 1 if none has after...
//   TIMEOUT_SECONDS    ...this many seconds (default 60)
//
// kafkajs is the only dependency: installed at the repository's root, or with
// `npm install` in this folder.
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";

const MANIFEST_PUSHED = "io.portfolio.manifest.pushed.v1";

const brokers = (process.env.KAFKA_BROKERS ?? "").split(",").filter(Boolean);
if (brokers.length === 0) {
  console.error("KAFKA_BROKERS is required, e.g. 127.0.0.1:9092");
  process.exit(2);
}
const topic = process.env.KAFKA_TOPIC || "portfolio.events";
const groupId = process.env.KAFKA_GROUP || `event-consumer-example-${randomUUID()}`;
const expected = process.env.EXPECT_REPOSITORY;
const timeoutSeconds = Number(process.env.TIMEOUT_SECONDS || 60);

const kafka = new Kafka({ clientId: "event-consumer-example", brokers, logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId });

/** The event in the envelope's terms: a header is a Buffer (or absent). */
function toEvent(message) {
  const header = (name) => message.headers?.[name]?.toString();
  return {
    id: header("ce_id"),
    type: header("ce_type"),
    source: header("ce_source"),
    time: header("ce_time"),
    repository: message.key?.toString(),
    requestId: header("x-request-id"),
    payload: JSON.parse(message.value.toString()),
  };
}

let finished = false;
/**
 * Leaves the group and exits. Called from inside eachMessage too, where
 * kafkajs's disconnect waits for that very handler to return: so it is never
 * awaited there, and a short deadline forces the exit should leaving hang.
 */
async function finish(code) {
  if (finished) return;
  finished = true;
  setTimeout(() => process.exit(code), 5000).unref();
  await consumer.disconnect().catch(() => {});
  process.exit(code);
}

const timer = expected
  ? setTimeout(() => {
      console.error(`no ${MANIFEST_PUSHED} for ${expected} within ${timeoutSeconds} s`);
      finish(1);
    }, timeoutSeconds * 1000)
  : undefined;
process.on("SIGINT", () => finish(0));
process.on("SIGTERM", () => finish(0));

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    const event = toEvent(message);
    console.log(JSON.stringify(event));
    if (expected && event.type === MANIFEST_PUSHED && event.payload.repository === expected) {
      clearTimeout(timer);
      console.error(`saw ${MANIFEST_PUSHED} for ${expected}`);
      void finish(0);
    }
  },
});
