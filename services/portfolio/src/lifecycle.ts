import type { Logger } from "pino";
import { stopTracing } from "./tracing";

/**
 * Stops gracefully on SIGTERM or SIGINT: `close` stops taking work and lets
 * what is in flight finish; the spans still buffered are sent (when tracing
 * is on) before the process exits. A second signal exits at once.
 */
export function runUntilSignalled(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down");
    const exit = (code: number) => stopTracing().finally(() => process.exit(code));
    close().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        return exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}
