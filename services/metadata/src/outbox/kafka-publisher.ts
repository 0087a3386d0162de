import type { EventPublisher, RegistryEvent } from "@portfolio/core";
import {
  type IHeaders,
  Kafka,
  type KafkaConfig,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from "kafkajs";
import type { Logger } from "pino";

export const DEFAULT_EVENTS_TOPIC = "portfolio.events";

export interface KafkaEventPublisherOptions {
  /** host:port of one or more brokers. */
  brokers: string[];
  topic?: string;
  clientId?: string;
  logger?: Logger;
  /** Passed to kafkajs as is (ssl, sasl, timeouts); `brokers` and `clientId` win. */
  kafka?: Partial<KafkaConfig>;
}

/**
 * Publishes registry events to one Kafka topic, after the CloudEvents Kafka
 * binding in binary mode: the payload is the JSON value, the repository the
 * key (so one repository's events share a partition and keep their order),
 * the envelope travels in `ce_*` headers.
 *
 * The producer is idempotent with one request in flight and acks from all
 * in-sync replicas, so kafkajs's own retries neither duplicate nor reorder.
 * After a failed send the producer is thrown away and the next publish starts
 * a new one: a failed idempotent producer's sequence numbers may no longer
 * match the broker's, and a fresh producer id is the simple way out. The relay
 * then republishes the whole batch (at least once, duplicates possible).
 *
 * kafkajs 2.2.4 speaks only API versions that Kafka 4.x still serves (KIP-896
 * kept them for it); a single-node broker must set the internal topics'
 * replication factors to 1, or consumer groups never find a coordinator.
 */
export class KafkaEventPublisher implements EventPublisher {
  readonly topic: string;
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | undefined;

  constructor(options: KafkaEventPublisherOptions) {
    this.topic = options.topic ?? DEFAULT_EVENTS_TOPIC;
    this.kafka = new Kafka({
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 5000 },
      logLevel: logLevel.WARN,
      logCreator: options.logger ? pinoLogCreator(options.logger) : undefined,
      ...options.kafka,
      brokers: options.brokers,
      clientId: options.clientId ?? "portfolio-relay",
    });
  }

  async publish(events: readonly RegistryEvent[]): Promise<void> {
    if (events.length === 0) return;
    const producer = await this.connect();
    try {
      await producer.send({ topic: this.topic, acks: -1, messages: events.map(toMessage) });
    } catch (error) {
      await this.reset();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.reset();
  }

  private connect(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        // Java's murmur2 partitioner: other clients put a key where we do.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producer = producer.connect().then(() => producer);
      this.producer.catch(() => {
        this.producer = undefined;
      });
    }
    return this.producer;
  }

  private async reset(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (!producer) return;
    await producer.then((p) => p.disconnect()).catch(() => undefined);
  }
}

/** One event as a Kafka message: key, JSON value, CloudEvents headers. */
export function toMessage(event: RegistryEvent): Message {
  const headers: IHeaders = {
    ce_specversion: "1.0",
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_time: event.time,
    "content-type": "application/json",
  };
  if (event.requestId) headers["x-request-id"] = event.requestId;
  return { key: event.repository, value: JSON.stringify(event.payload), headers };
}

/**
 * kafkajs through pino, one level down: kafkajs logs every retried connection
 * and retriable broker answer as an error, while the relay reports the publish
 * that finally failed (once per outage). The warning about limited retries on
 * an idempotent producer is expected here (a failed producer is replaced, see
 * above), so it goes to debug.
 */
function pinoLogCreator(logger: Logger): KafkaConfig["logCreator"] {
  const child = logger.child({ component: "kafkajs" });
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      if (message.startsWith("Limiting retries for the idempotent producer")) {
        child.debug(extra, message);
      } else if (level <= logLevel.WARN) child.warn(extra, message);
      else if (level === logLevel.INFO) child.info(extra, message);
      else child.debug(extra, message);
    };
}
