import { AsyncLocalStorage } from "node:async_hooks";

const requestIds = new AsyncLocalStorage<string>();

/**
 * The id of the request being served, wherever in its async work the caller
 * is: backend clients send it on (gRPC metadata, HTTP headers), services that
 * receive it bind it again, and the outbox records it with each event, so one
 * id follows a request through every service's logs and events.
 */
export function currentRequestId(): string | undefined {
  return requestIds.getStore();
}

/** Runs `next` (the rest of the request's handling) with the request id bound. */
export function withRequestId(id: string, next: () => void): void {
  requestIds.run(id, next);
}
