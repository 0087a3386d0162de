import { type EventConsumer, GcFeed, ReferrersIndexer } from "@portfolio/metadata";
import { ConfigError } from "./config";

/** The registry's own event consumers, by the name their role is started with. */
export const CONSUMER_NAMES = ["referrers", "gc-feed"] as const;
export type ConsumerName = (typeof CONSUMER_NAMES)[number];

/**
 * One consumer, configured from the environment:
 *
 *   PORTFOLIO_GC_REVIEW_DELAY_HOURS  how long after an event the garbage
 *                                    collector reviews its candidates, default 24
 */
export function createConsumer(name: ConsumerName, env: NodeJS.ProcessEnv): EventConsumer {
  if (name === "referrers") return new ReferrersIndexer();
  return new GcFeed(reviewDelayHours(env) * 60 * 60 * 1000);
}

/** All of them, as the embedded registry runs them in-process. */
export function createConsumers(env: NodeJS.ProcessEnv): EventConsumer[] {
  return CONSUMER_NAMES.map((name) => createConsumer(name, env));
}

export function isConsumerName(name: string | undefined): name is ConsumerName {
  return (CONSUMER_NAMES as readonly string[]).includes(name ?? "");
}

function reviewDelayHours(env: NodeJS.ProcessEnv): number {
  const raw = env.PORTFOLIO_GC_REVIEW_DELAY_HOURS;
  if (raw === undefined || raw === "") return 24;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) {
    throw new ConfigError("PORTFOLIO_GC_REVIEW_DELAY_HOURS must be a number of hours ≥ 0");
  }
  return hours;
}
