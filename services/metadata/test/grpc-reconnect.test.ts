import { createServer, type Server } from "node:net";
import pino from "pino";
import { GrpcMetadataStore, type MetadataServer, startMetadataServer } from "../src";
import { storeThat } from "./grpc-support";

const logger = pino({ level: "silent" });
const store = storeThat(async () => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stands in for a metadata service that is down, on its port (so that nothing
 * else takes it): every connection is dropped at once, and counted.
 */
async function brokenService(port: number) {
  const attempts: number[] = [];
  const server: Server = createServer((socket) => {
    attempts.push(performance.now());
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Pings until one succeeds; answers how long that took. */
async function msUntilAnswered(client: GrpcMetadataStore): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await client.ping();
      return performance.now() - started;
    } catch {
      await sleep(20);
    }
  }
}

describe("the gRPC client after a metadata outage", () => {
  let server: MetadataServer;
  let client: GrpcMetadataStore;
  afterEach(async () => {
    await client.close();
    await server.close(0);
  });

  it("retries at its backoff ceiling and answers soon after the service is back", async () => {
    server = await startMetadataServer(store, { address: "127.0.0.1:0", logger });
    const { port } = server;
    client = new GrpcMetadataStore(server.address, {
      deadlineMs: 500,
      reconnectBackoffMs: { initial: 100, max: 250 },
    });
    await client.ping();

    await server.close(0);
    const outage = await brokenService(port);
    // Calls keep coming, as the gateway's traffic and readiness probes would.
    // Long enough that a loaded machine's pauses cannot hide the difference:
    // unbounded, the waits from 100 ms pass 1 s within 2 s and leave the last
    // 2 s one attempt or two; at the 250 ms ceiling they leave about eight.
    const outageEnds = performance.now() + 4_000;
    while (performance.now() < outageEnds) {
      await expect(client.ping()).rejects.toMatchObject({ kind: "backend-unavailable" });
      await sleep(50);
    }
    await outage.close();
    server = await startMetadataServer(store, { address: `127.0.0.1:${port}`, logger });

    const lastTwoSeconds = outage.attempts.filter((at) => at > outageEnds - 2_000);
    expect(lastTwoSeconds.length).toBeGreaterThanOrEqual(4);
    expect(await msUntilAnswered(client)).toBeLessThan(1_500);
  });
});
