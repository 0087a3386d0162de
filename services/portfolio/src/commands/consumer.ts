import {
  createKafkaEventLoop,
  DEFAULT_EVENTS_TOPIC,
  openPostgres,
  startHealthEndpoints,
} from "@portfolio/metadata";
import { ConfigError, loadConfig } from "../config";
import { CONSUMER_NAMES, createConsumer, isConsumerName } from "../consumers";
import { readKafkaRelayConfig } from "../kafka-relay";
import { runUntilSignalled } from "../lifecycle";
import { listenAddress } from "../listen";
import { createLogger } from "../logger";
import { processMetrics } from "../process-metrics";

/**
 * `portfolio consumer <referrers|gc-feed>`: one of the registry's own event
 * consumers as its own process, reading the events topic in the consumer
 * group `portfolio-<name>` and writing its effects to the metadata database.
 * Replicas share the partitions; each record's effect and its
 * `processed_event` row commit together before its offset is committed.
 *
 *   PORTFOLIO_DATABASE_URL           postgres://… (required)
 *   PORTFOLIO_KAFKA_BROKERS          host:port[,host:port…] (required)
 *   PORTFOLIO_KAFKA_TOPIC            default portfolio.events
 *   PORTFOLIO_CONSUMER_HTTP          /healthz, /readyz and /metrics host:port, default
 *                                    127.0.0.1:5021 (lag, records by outcome, process)
 *   PORTFOLIO_GC_REVIEW_DELAY_HOURS  gc-feed only, default 24
 *   PORTFOLIO_LOG_LEVEL              default info
 *
 * Pending migrations are applied at start. On SIGTERM it stops fetching, lets
 * the record in hand commit, leaves the group, then closes the database.
 */
export async function consumer(
  env: NodeJS.ProcessEnv = process.env,
  name: string | undefined = process.argv[3] ?? env.PORTFOLIO_CONSUMER,
): Promise<void> {
  if (!isConsumerName(name)) {
    throw new ConfigError(`usage: portfolio consumer <${CONSUMER_NAMES.join("|")}>`);
  }
  const databaseUrl = env.PORTFOLIO_DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("PORTFOLIO_DATABASE_URL is required (postgres://…)");
  }
  const kafka = readKafkaRelayConfig(env);
  if (kafka === undefined) throw new ConfigError("PORTFOLIO_KAFKA_BROKERS is required");
  const http = listenAddress(env, "PORTFOLIO_CONSUMER_HTTP", "127.0.0.1:5021");
  const effect = createConsumer(name, env);
  const logger = createLogger(loadConfig(env).logLevel).child({ role: `consumer-${name}` });

  const database = await openPostgres(databaseUrl);
  const topic = env.PORTFOLIO_KAFKA_TOPIC || DEFAULT_EVENTS_TOPIC;
  const metrics = processMetrics();
  const loop = createKafkaEventLoop(database, effect, {
    brokers: kafka.brokers,
    topic,
    logger,
    metrics,
  });
  try {
    await loop.start();
  } catch (error) {
    await database.close();
    throw error;
  }
  const health = await startHealthEndpoints({
    ...http,
    logger,
    metrics,
    ready: async () => {
      await database.prisma.$queryRaw`SELECT 1`;
    },
  });
  logger.info({ topic, brokers: kafka.brokers, health: health.url }, "consumer running");

  runUntilSignalled(logger, async () => {
    health.drain();
    await loop.stop();
    await health.close();
    await database.close();
  });
}
