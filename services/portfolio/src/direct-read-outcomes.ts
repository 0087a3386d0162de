import type { DirectReadOutcome } from "@portfolio/blobs";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";

/**
 * What the gateway does with each direct read's outcome (see DirectReads):
 * counts it in `portfolio_blob_direct_reads_total{outcome}` (`direct`, or the
 * fallback's kind: `status`, `range`, `unreadable`, `unreachable`), so that an
 * operator sees pulls going back through the blob service, and logs each
 * fallback. The presigned URL is never logged: it is a credential.
 */
export function directReadOutcomes(
  logger: Logger,
  registry: Registry,
): (outcome: DirectReadOutcome) => void {
  const reads = new Counter({
    name: "portfolio_blob_direct_reads_total",
    help: "Blob reads the gateway tried straight from storage, by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });

  // Bound once: every streamed pull counts here, and most of them are direct.
  const direct = reads.labels({ outcome: "direct" });

  return (outcome) => {
    if (outcome.kind === "direct") return direct.inc();
    reads.inc({ outcome: outcome.kind });
    if (outcome.kind === "unreachable") {
      const { error, pausedForMs } = outcome;
      logger.warn(
        { err: error, pausedForMs },
        "storage unreachable; pulls go via the blob service",
      );
    } else {
      logger.warn({ outcome }, "storage refused a direct read; read it via the blob service");
    }
  };
}
