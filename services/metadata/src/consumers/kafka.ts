import {
  type Consumer,
  type EachMessagePayload,
  Kafka,
  type KafkaMessage,
  logLevel,
} from "kafkajs";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { MetadataDatabase } from "../database";
import { applyOnce, type EventConsumer } from "./consumer";
import { eventFromMessage, MalformedEventError } from "./kafka-message";
import {
  type ConsumerMetrics,
  type ConsumerOutcome,
  consumerLag,
  type KafkaAdminClient,
  registerConsumerMetrics,
} from "./metrics";

/** The parts of a kafkajs consumer the loop uses (a fake stands in for it in tests). */
export type KafkaConsumerClient = Pick<
  Consumer,
  "connect" | "subscribe" | "run" | "commitOffsets" | "disconnect"
>;

export interface KafkaEventLoopOptions {
  topic: string;
  logger: Logger;
  /** Where a new consumer group starts: the oldest retained event, by default. */
  fromBeginning?: boolean;
  /**
   * When set, the records handled and the group's lag are reported on this
   * registry (metrics.ts); the lag only with `admin`, which the loop connects
   * and disconnects with itself.
   */
  metrics?: Registry;
  admin?: KafkaAdminClient;
}

/** The consumer group of one of our consumers: `portfolio-<name>`. */
export function consumerGroupOf(consumer: EventConsumer): string {
  return `portfolio-${consumer.name}`;
}

/**
 * Feeds one consumer from the events topic. Offsets are committed by hand,
 * after `applyOnce` has committed the effect: a crash in between redelivers
 * the record and `processed_event` skips it, so effects apply once. A failed
 * effect (say, the database is down) throws, leaving the offset where it was,
 * and kafkajs retries the record. A record that is not an event is logged and
 * committed past, since no retry can fix it and it would block its partition.
 */
export class KafkaEventLoop {
  private readonly metrics: ConsumerMetrics | undefined;

  constructor(
    private readonly client: KafkaConsumerClient,
    private readonly database: MetadataDatabase,
    private readonly consumer: EventConsumer,
    private readonly options: KafkaEventLoopOptions,
  ) {
    this.metrics = options.metrics && this.registerMetrics(options.metrics);
  }

  async start(): Promise<void> {
    await this.options.admin?.connect();
    await this.client.connect();
    await this.client.subscribe({
      topic: this.options.topic,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.client.run({
      autoCommit: false,
      eachMessage: (payload) => this.handle(payload),
    });
  }

  /** Stops fetching, lets the record in hand finish, and leaves the group. */
  async stop(): Promise<void> {
    await this.client.disconnect();
    await this.options.admin?.disconnect();
  }

  async handle({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const outcome = await this.process(partition, message);
    this.metrics?.processed(outcome);
    const next = (BigInt(message.offset) + 1n).toString();
    await this.client.commitOffsets([{ topic, partition, offset: next }]);
  }

  private async process(partition: number, message: KafkaMessage): Promise<ConsumerOutcome> {
    const logger = this.options.logger;
    try {
      const event = eventFromMessage(message);
      const outcome = await applyOnce(this.database, this.consumer, event);
      if (outcome !== "ignored") {
        logger.debug({ id: event.id, type: event.type, outcome }, "event processed");
      }
      return outcome;
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      logger.error(
        { err: error, partition, offset: message.offset },
        "skipping a malformed record",
      );
      return "malformed";
    }
  }

  private registerMetrics(registry: Registry): ConsumerMetrics {
    const { admin, topic, logger } = this.options;
    const group = consumerGroupOf(this.consumer);
    const lag = admin && (() => consumerLag(admin, group, topic));
    return registerConsumerMetrics(registry, this.consumer.name, { lag, logger });
  }
}

export interface KafkaConsumerSettings {
  brokers: string[];
  topic: string;
  clientId?: string;
  logger: Logger;
  /** When set, the loop's metrics go on this registry, the group's lag read by an admin client. */
  metrics?: Registry;
}

/** A loop over a real kafkajs consumer in the group `portfolio-<name>`. */
export function createKafkaEventLoop(
  database: MetadataDatabase,
  consumer: EventConsumer,
  settings: KafkaConsumerSettings,
): KafkaEventLoop {
  const kafkaLogger = settings.logger.child({ component: "kafkajs" });
  const kafka = new Kafka({
    brokers: settings.brokers,
    clientId: settings.clientId ?? consumerGroupOf(consumer),
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    // kafkajs reports each retried connection itself; warnings are enough.
    logCreator:
      () =>
      ({ level, log: { message, ...extra } }) => {
        if (level <= logLevel.WARN) kafkaLogger.warn(extra, message);
        else kafkaLogger.debug(extra, message);
      },
  });
  const client = kafka.consumer({ groupId: consumerGroupOf(consumer) });
  return new KafkaEventLoop(client, database, consumer, {
    topic: settings.topic,
    logger: settings.logger,
    metrics: settings.metrics,
    // One retry: a scrape waits at most a few seconds for the lag (metrics.ts).
    admin: settings.metrics && kafka.admin({ retry: { retries: 1 } }),
  });
}
