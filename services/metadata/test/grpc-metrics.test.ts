import { RepositoryUnknownError } from "@portfolio/core";
import pino from "pino";
import { Registry } from "prom-client";
import { sampleValue, scrape } from "../../../test-support/prometheus-text";
import { GrpcMetadataStore, startHealthEndpoints, withGrpcClientMetrics } from "../src";
import { serveOverGrpc, storeThat } from "./grpc-support";

const SERVICE = "portfolio.metadata.v1.MetadataService";
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A store that answers Ping, knows no repository, fails ListRepositories and
 * is slow to list referrers.
 */
const store = storeThat(async (method) => {
  if (method === "listTags") throw new RepositoryUnknownError("library/missing");
  if (method === "listRepositories") throw new Error("a bug in the store");
  if (method === "listReferrers") await later(1_000);
  return method === "listReferrers" ? [] : undefined;
});

/** A server counting on one registry, its client counting on another. */
async function instrumented(deadlineMs = 5_000) {
  const server = new Registry();
  const client = new Registry();
  const grpc = await serveOverGrpc(store, { metrics: server, client: { deadlineMs } });
  const metadata = withGrpcClientMetrics(grpc.client, client);
  return { grpc, metadata, registries: { server, client } };
}

const handled = (side: string) => `portfolio_grpc_${side}_handled_total`;

describe("gRPC call metrics", () => {
  test("count each call by method and status code on both ends", async () => {
    const { grpc, metadata, registries } = await instrumented();

    await metadata.ping();
    await metadata.ping();
    await expect(metadata.listTags("library/missing", {})).rejects.toThrow(RepositoryUnknownError);
    await expect(metadata.listRepositories({})).rejects.toThrow("ListRepositories failed");

    for (const side of ["server", "client"] as const) {
      const registry = registries[side];
      const ping = { service: SERVICE, method: "Ping" };
      expect(await scrape(registry, handled(side), { ...ping, code: "OK" })).toBe(2);
      expect(await scrape(registry, handled(side), { method: "ListTags", code: "NOT_FOUND" })).toBe(
        1,
      );
      expect(
        await scrape(registry, handled(side), { method: "ListRepositories", code: "INTERNAL" }),
      ).toBe(1);
      const histogram = `portfolio_grpc_${side}_handling_seconds_count`;
      expect(await scrape(registry, histogram, ping)).toBe(2);
    }
    await grpc.close();
  });

  test("count a call whose deadline passed as DEADLINE_EXCEEDED on both ends", async () => {
    const { grpc, metadata, registries } = await instrumented(100);

    await expect(metadata.listReferrers("library/slow", "sha256:0")).rejects.toMatchObject({
      backend: "metadata",
    });

    const labels = { method: "ListReferrers", code: "DEADLINE_EXCEEDED" };
    expect(await scrape(registries.client, handled("client"), labels)).toBe(1);
    // The server learns of the deadline on its own clock; the handler answers later, uncounted.
    await later(1_200);
    expect(await scrape(registries.server, handled("server"), labels)).toBe(1);
    expect(await scrape(registries.server, handled("server"), { method: "ListReferrers" })).toBe(1);
    await grpc.close();
  });

  test("count a call no server answered as UNAVAILABLE on the client", async () => {
    const { grpc } = await instrumented();
    const address = grpc.server.address;
    await grpc.close();
    const registry = new Registry();
    const metadata = withGrpcClientMetrics(new GrpcMetadataStore(address), registry);

    await expect(metadata.ping()).rejects.toMatchObject({ backend: "metadata" });

    expect(await scrape(registry, handled("client"), { method: "Ping", code: "UNAVAILABLE" })).toBe(
      1,
    );
    await metadata.close();
  });

  test("are served on the metadata role's /metrics", async () => {
    const { grpc, metadata, registries } = await instrumented();
    const endpoints = await startHealthEndpoints({
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "silent" }),
      ready: async () => {},
      metrics: registries.server,
    });

    await metadata.ping();
    const response = await fetch(`${endpoints.url}/metrics`);
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(sampleValue(text, handled("server"), { method: "Ping", code: "OK" })).toBe(1);
    await endpoints.close();
    await grpc.close();
  });
});
