import { DEFAULT_GC_POLICY, type GcPolicy } from "@portfolio/gc";
import { ConfigError } from "./config";

const HOUR = 60 * 60 * 1000;

/**
 * The garbage collector's settings, from the environment (docs/configuration.md):
 *
 *   PORTFOLIO_GC_REVIEW_DELAY_SECONDS / _HOURS  review delay, default 24 h (seconds win)
 *   PORTFOLIO_GC_UNTAGGED                       keep (default) or delete
 *   PORTFOLIO_GC_UNTAGGED_AGE_HOURS             age before an untagged manifest goes, default 24
 *   PORTFOLIO_GC_REFERRERS                      keep (default) or delete-with-subject
 *   PORTFOLIO_GC_ORPHAN_GRACE_HOURS             age before an object with no metadata goes,
 *                                               default 24
 *
 * The feed and the collector read the same delay, so a candidate comes due
 * exactly when its link is old enough to go.
 */
export function readGcPolicy(env: NodeJS.ProcessEnv): GcPolicy {
  return {
    reviewDelayMs: gcReviewDelayMs(env),
    untagged: choice(env, "PORTFOLIO_GC_UNTAGGED", ["keep", "delete"], DEFAULT_GC_POLICY.untagged),
    untaggedAgeMs: hours(env, "PORTFOLIO_GC_UNTAGGED_AGE_HOURS", DEFAULT_GC_POLICY.untaggedAgeMs),
    referrers: choice(
      env,
      "PORTFOLIO_GC_REFERRERS",
      ["keep", "delete-with-subject"],
      DEFAULT_GC_POLICY.referrers,
    ),
    orphanGraceMs: hours(env, "PORTFOLIO_GC_ORPHAN_GRACE_HOURS", DEFAULT_GC_POLICY.orphanGraceMs),
  };
}

export function gcReviewDelayMs(env: NodeJS.ProcessEnv): number {
  const seconds = env.PORTFOLIO_GC_REVIEW_DELAY_SECONDS;
  if (seconds !== undefined && seconds !== "") {
    return number(seconds, "PORTFOLIO_GC_REVIEW_DELAY_SECONDS", "seconds") * 1000;
  }
  return hours(env, "PORTFOLIO_GC_REVIEW_DELAY_HOURS", DEFAULT_GC_POLICY.reviewDelayMs);
}

/**
 * The collector's loop: PORTFOLIO_GC_POLL_SECONDS (5) and
 * PORTFOLIO_GC_INTERVAL_HOURS (24; 0 never).
 */
export function readCollectorTiming(env: NodeJS.ProcessEnv) {
  const poll = env.PORTFOLIO_GC_POLL_SECONDS;
  return {
    pollIntervalMs: poll ? number(poll, "PORTFOLIO_GC_POLL_SECONDS", "seconds") * 1000 : 5000,
    reconcileIntervalMs: hours(env, "PORTFOLIO_GC_INTERVAL_HOURS", 24 * HOUR),
  };
}

/** A number of hours (fractions allowed) in ms, or `fallbackMs` when unset. */
function hours(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallbackMs;
  return number(raw, name, "hours") * HOUR;
}

function number(raw: string, name: string, unit: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || raw.trim() === "") {
    throw new ConfigError(`${name} must be a number of ${unit} ≥ 0, not ${raw}`);
  }
  return value;
}

function choice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, not ${raw}`);
  }
  return raw as T;
}
