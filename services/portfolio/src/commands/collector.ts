import { GarbageCollector, registerGcMetrics } from "@portfolio/gc";
import { startHealthEndpoints } from "@portfolio/metadata";
import { loadConfig } from "../config";
import { openGcBackends } from "../gc-backends";
import { readCollectorTiming, readGcPolicy } from "../gc-config";
import { runUntilSignalled } from "../lifecycle";
import { listenAddress } from "../listen";
import { createLogger } from "../logger";
import { processMetrics } from "../process-metrics";

/**
 * `portfolio collector`: the garbage collector as its own process. Reviews
 * the gc queue as candidates come due and reconciles the whole registry every
 * PORTFOLIO_GC_INTERVAL_HOURS. Replicas may run side by side (the queue is
 * claimed with SKIP LOCKED). Backends as in gc-backends.ts, policy and timing
 * as in gc-config.ts;
 *
 *   PORTFOLIO_COLLECTOR_HTTP  /healthz, /readyz and /metrics host:port, default 127.0.0.1:5022
 *
 * On SIGTERM it finishes the review in hand, then closes the backends.
 */
export async function collector(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const http = listenAddress(env, "PORTFOLIO_COLLECTOR_HTTP", "127.0.0.1:5022");
  const logger = createLogger(loadConfig(env).logLevel).child({ role: "collector" });
  const policy = readGcPolicy(env);
  const backends = await openGcBackends(env);
  const registry = processMetrics();
  const metrics = registerGcMetrics(registry, backends.database);
  const gc = new GarbageCollector({
    ...backends,
    ...readCollectorTiming(env),
    policy,
    logger,
    onReclaimed: (item) => metrics.reclaimed(item),
  });

  const health = await startHealthEndpoints({
    ...http,
    logger,
    metrics: registry,
    ready: async () => {
      await backends.database.prisma.$queryRaw`SELECT 1`;
    },
  }).catch(async (error: unknown) => {
    await backends.close();
    throw error;
  });
  gc.start();
  logger.info({ health: health.url, policy }, "collector running");

  runUntilSignalled(logger, async () => {
    health.drain();
    await gc.stop();
    await health.close();
    await backends.close();
  });
}
