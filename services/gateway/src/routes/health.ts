import type { FastifyInstance } from "fastify";
import type { RegistryBackends } from "../registry/registry";

/**
 * `/healthz` answers while the process runs (liveness); `/readyz` only while
 * every backend answers too (readiness), so a load balancer stops sending
 * requests during an outage and resumes by itself when it ends.
 */
export function registerHealth(app: FastifyInstance, backends: RegistryBackends): void {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (request, reply) => {
    const checks = await Promise.allSettled([backends.metadata.ping(), backends.storage.ping()]);
    const failed = checks.flatMap((check, i) =>
      check.status === "rejected"
        ? [{ backend: i === 0 ? "metadata" : "storage", err: check.reason }]
        : [],
    );
    if (failed.length === 0) return { status: "ready" };

    request.log.warn({ failed }, "not ready");
    return reply.status(503).send({ status: "unavailable", failed: failed.map((f) => f.backend) });
  });
}
