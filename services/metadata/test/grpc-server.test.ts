import { randomUUID } from "node:crypto";
import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { BackendUnavailableError } from "@portfolio/core";
import { service as healthService } from "grpc-health-check";
import { GrpcMetadataStore, METADATA_SERVICE_NAME, startHealthEndpoints } from "../src";
import { recordingLogger, serveOverGrpc, storeThat } from "./grpc-support";
import { manifestPut, openPgliteStore, pushBlob, sha256, type TestStore } from "./helpers";

const later = <T>(ms: number, value?: T) =>
  new Promise<T | undefined>((resolve) => setTimeout(() => resolve(value), ms));

describe("the gRPC client", () => {
  test("fails as metadata unavailable when the deadline passes", async () => {
    // The store answers after 2 s, well within the default deadline (10 s): only the 100 ms
    // deadline can fail the call. (No bound on elapsed time, which a GC pause would exceed.)
    const grpc = await serveOverGrpc(
      storeThat(() => later(2_000)),
      { client: { deadlineMs: 100 } },
    );

    const calling = grpc.client.findAnyBlob(sha256("slow"));

    await expect(calling).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(calling).rejects.toMatchObject({ backend: "metadata" });
    await grpc.close();
  });

  test("fails as metadata unavailable when no server listens", async () => {
    const grpc = await serveOverGrpc(storeThat(() => later(0)));
    const address = grpc.server.address;
    await grpc.close();
    const client = new GrpcMetadataStore(address, { deadlineMs: 2_000 });

    await expect(client.ping()).rejects.toMatchObject({
      kind: "backend-unavailable",
      backend: "metadata",
    });
    await client.close();
  });

  test("sends the request id, which the server logs with the method", async () => {
    const { logger, lines } = recordingLogger();
    const grpc = await serveOverGrpc(
      storeThat(() => later(0)),
      {
        logger,
        client: { requestId: () => "req-42" },
      },
    );

    await grpc.client.ping();

    expect(lines).toContainEqual(
      expect.objectContaining({
        requestId: "req-42",
        method: "Ping",
        msg: "metadata call answered",
      }),
    );
    await grpc.close();
  });
});

describe("the gRPC server", () => {
  test("answers SERVING on the standard health service", async () => {
    const grpc = await serveOverGrpc(storeThat(() => later(0)));
    const Health = makeGenericClientConstructor(healthService, "Health");
    const health = new Health(grpc.server.address, credentials.createInsecure());
    const check = (service: string) =>
      new Promise<unknown>((resolve, reject) =>
        health.Check({ service }, (error: ServiceError | null, response: unknown) =>
          error ? reject(error) : resolve(response),
        ),
      );

    await expect(check("")).resolves.toEqual({ status: "SERVING" });
    await expect(check(METADATA_SERVICE_NAME)).resolves.toEqual({ status: "SERVING" });
    await expect(check("no.such.Service")).rejects.toMatchObject({ code: 5 });
    health.close();
    await grpc.close();
  });

  test("lets a call in flight finish when it closes", async () => {
    const grpc = await serveOverGrpc(storeThat(() => later(300, ["library/slow"])));

    const calling = grpc.client.listRepositories({});
    await later(50);
    const closing = grpc.server.close();

    await expect(calling).resolves.toEqual(["library/slow"]);
    await closing;
    await grpc.client.close();
  });
});

describe("a PGlite store across the gRPC boundary", () => {
  let behind: TestStore;
  let grpc: Awaited<ReturnType<typeof serveOverGrpc>>;

  beforeAll(async () => {
    behind = await openPgliteStore();
    grpc = await serveOverGrpc(behind.store);
  });

  afterAll(async () => {
    await grpc.close();
    await behind.dispose();
  });

  test("gives referrer descriptors whose JSON is the same as the store's", async () => {
    const repository = "library/referred";
    const subject = sha256("subject");
    const pushes = [
      manifestPut(repository, { n: 1 }, { subject }),
      manifestPut(repository, { n: 2 }, { subject, artifactType: "application/example" }),
      manifestPut(repository, { n: 3 }, { subject, annotations: {} }),
      manifestPut(repository, { n: 4 }, { subject, annotations: { b: "2", a: "1", "": "" } }),
    ];
    for (const put of pushes) await grpc.client.putManifest(put);

    const direct = await behind.store.listReferrers(repository, subject);
    const remote = await grpc.client.listReferrers(repository, subject);

    expect(remote).toHaveLength(4);
    expect(JSON.stringify(remote)).toBe(JSON.stringify(direct));
    expect(remote.map((descriptor) => Object.keys(descriptor))).toEqual(
      direct.map((descriptor) => Object.keys(descriptor)),
    );
  });

  test("carries a manifest larger than gRPC's default 4 MiB message", async () => {
    const repository = "library/large";
    const layer = await pushBlob(grpc.client, repository, "layer");
    const put = manifestPut(repository, { layer, padding: "x".repeat(5 * 1024 * 1024) });
    put.blobs = [layer];

    await grpc.client.putManifest({ ...put, tag: "big" });
    const found = await grpc.client.findManifest(repository, { tag: "big" });

    expect(found?.payload.equals(put.payload)).toBe(true);
    expect(found?.size).toBe(put.payload.length);
  });

  test("keeps an upload session's instants to the millisecond", async () => {
    const expiresAt = new Date(Date.now() + 60_000);

    const created = await grpc.client.createUpload("library/uploads", expiresAt);
    const found = await grpc.client.findUpload("library/uploads", created.id);

    expect(created.expiresAt).toEqual(expiresAt);
    expect(found).toEqual(created);
    expect(await grpc.client.findUpload("library/uploads", randomUUID())).toBeUndefined();
  });
});

describe("the health endpoints", () => {
  test("are live always, ready while the store pings and nothing drains", async () => {
    let database = "up";
    const { logger } = recordingLogger();
    const endpoints = await startHealthEndpoints({
      host: "127.0.0.1",
      port: 0,
      logger,
      ready: async () => {
        if (database === "down") throw new BackendUnavailableError("postgres");
      },
    });
    const status = async (path: string) => (await fetch(`${endpoints.url}${path}`)).status;

    expect([await status("/healthz"), await status("/readyz")]).toEqual([200, 200]);
    database = "down";
    expect([await status("/healthz"), await status("/readyz")]).toEqual([200, 503]);
    database = "up";
    endpoints.drain();
    expect([await status("/healthz"), await status("/readyz")]).toEqual([200, 503]);
    expect(await status("/elsewhere")).toBe(404);
    await endpoints.close();
  });
});
