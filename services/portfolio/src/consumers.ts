import { type EventConsumer, GcFeed, ReferrersIndexer } from "@portfolio/metadata";
import { gcReviewDelayMs } from "./gc-config";

/** The registry's own event consumers, by the name their role is started with. */
export const CONSUMER_NAMES = ["referrers", "gc-feed"] as const;
export type ConsumerName = (typeof CONSUMER_NAMES)[number];

/**
 * One consumer, configured from the environment:
 *
 *   PORTFOLIO_GC_REVIEW_DELAY_HOURS  how long after an event the garbage
 *                                    collector reviews its candidates, default 24
 *                                    (or PORTFOLIO_GC_REVIEW_DELAY_SECONDS; see gc-config.ts)
 */
export function createConsumer(name: ConsumerName, env: NodeJS.ProcessEnv): EventConsumer {
  if (name === "referrers") return new ReferrersIndexer();
  return new GcFeed(gcReviewDelayMs(env));
}

/** All of them, as the embedded registry runs them in-process. */
export function createConsumers(env: NodeJS.ProcessEnv): EventConsumer[] {
  return CONSUMER_NAMES.map((name) => createConsumer(name, env));
}

export function isConsumerName(name: string | undefined): name is ConsumerName {
  return (CONSUMER_NAMES as readonly string[]).includes(name ?? "");
}
