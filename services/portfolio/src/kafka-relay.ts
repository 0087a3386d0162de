import {
  DEFAULT_EVENTS_TOPIC,
  KafkaEventPublisher,
  type MetadataDatabase,
  OutboxRelay,
} from "@portfolio/metadata";
import type { Logger } from "pino";
import { ConfigError } from "./config";

/** A running relay to Kafka; `stop` finishes the batch in flight, then disconnects. */
export interface KafkaRelay {
  readonly relay: OutboxRelay;
  stop(): Promise<void>;
}

export interface KafkaRelayConfig {
  brokers: string[];
  topic: string;
  clientId: string;
  source?: string;
  pruneAfterMs: number;
}

/**
 * The relay's settings, or undefined when PORTFOLIO_KAFKA_BROKERS is unset
 * (events then wait in the outbox); read before anything starts, so a bad
 * value stops the process at once:
 *
 *   PORTFOLIO_KAFKA_BROKERS        host:port[,host:port…]
 *   PORTFOLIO_KAFKA_TOPIC          default portfolio.events
 *   PORTFOLIO_KAFKA_CLIENT_ID      default portfolio-metadata
 *   PORTFOLIO_EVENT_SOURCE         the events' ce_source, default /portfolio
 *   PORTFOLIO_OUTBOX_PRUNE_MINUTES published rows are deleted after this, default 10 (0: never)
 */
export function readKafkaRelayConfig(env: NodeJS.ProcessEnv): KafkaRelayConfig | undefined {
  const brokers = (env.PORTFOLIO_KAFKA_BROKERS ?? "")
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker !== "");
  if (brokers.length === 0) return undefined;
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(broker)) {
      throw new ConfigError(`PORTFOLIO_KAFKA_BROKERS: ${broker} is not host:port`);
    }
  }

  return {
    brokers,
    topic: env.PORTFOLIO_KAFKA_TOPIC || DEFAULT_EVENTS_TOPIC,
    clientId: env.PORTFOLIO_KAFKA_CLIENT_ID || "portfolio-metadata",
    source: env.PORTFOLIO_EVENT_SOURCE || undefined,
    pruneAfterMs: pruneMinutes(env) * 60_000,
  };
}

/** Starts the relay from `database` to Kafka; every metadata replica may run one. */
export function startKafkaRelay(
  database: MetadataDatabase,
  config: KafkaRelayConfig,
  logger: Logger,
  onPublished?: (count: number) => void,
): KafkaRelay {
  const { brokers, topic, clientId } = config;
  const publisher = new KafkaEventPublisher({ brokers, topic, clientId, logger });
  const relay = new OutboxRelay(database, publisher, {
    source: config.source,
    pruneAfterMs: config.pruneAfterMs,
    onPublished,
    logger: logger.child({ component: "outbox-relay" }),
  });
  relay.start();
  logger.info({ brokers, topic: publisher.topic }, "outbox relay publishing to Kafka");
  return {
    relay,
    async stop() {
      await relay.stop();
      await publisher.close();
    },
  };
}

function pruneMinutes(env: NodeJS.ProcessEnv): number {
  const value = env.PORTFOLIO_OUTBOX_PRUNE_MINUTES;
  if (value === undefined || value === "") return 10;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes < 0) {
    throw new ConfigError("PORTFOLIO_OUTBOX_PRUNE_MINUTES must be a number of minutes ≥ 0");
  }
  return minutes;
}
