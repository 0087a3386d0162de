import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * A registry for one role's `/metrics`, with prom-client's process metrics
 * (CPU, memory, event-loop lag, GC pauses, open handles) collected into it.
 * Made once per process by the command that starts the role: a second
 * collection on the same registry would register the same names twice.
 */
export function processMetrics(registry: Registry = new Registry()): Registry {
  collectDefaultMetrics({ register: registry });
  return registry;
}
