import { type Exchange, sendJson } from "./exchange";

/** Liveness: the process answers. It says nothing of the storage behind it. */
export async function healthz({ response }: Exchange): Promise<void> {
  sendJson(response, 200, { status: "ok" });
}

/** Readiness: the driver's ping; a BackendUnavailableError becomes a 503 like any other. */
export async function readyz({ storage, response }: Exchange): Promise<void> {
  await storage.ping();
  sendJson(response, 200, { status: "ready" });
}
