import { DEFAULT_LIMITS } from "@portfolio/gateway";
import { pushBlob, randomBytes, startRegistry, type TestRegistry } from "./support/registry";
import { type SplitDeployment, startSplit } from "./support/split";

/**
 * Gateways reuse a blob lookup for a short lease (BlobLookups), and yet a
 * blob DELETE answered by one gateway holds for every other one at once.
 */
jest.setTimeout(60_000);

const LEASE_MS = DEFAULT_LIMITS.blobLookupLeaseMs;

describe("blob lookup leases in the split deployment", () => {
  let split: SplitDeployment;
  let other: TestRegistry;

  beforeEach(async () => {
    split = await startSplit();
    other = await split.startGateway();
  });

  afterEach(async () => {
    await split.close();
  });

  test("a blob deleted through one gateway is gone from another when DELETE answers", async () => {
    const bytes = randomBytes(1024);
    const digest = await pushBlob(split.registry, "leases/delete", bytes);
    const path = `/v2/leases/delete/blobs/${digest}`;
    // The other gateway pulls it, and so holds a lease on it.
    const pulled = await other.request(path);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(bytes)).toBe(true);

    const started = performance.now();
    const deleted = await split.registry.request(path, { method: "DELETE" });
    expect(deleted.status).toBe(202);
    // The DELETE outwaited the other gateway's lease.
    expect(performance.now() - started).toBeGreaterThanOrEqual(LEASE_MS - 10);

    expect((await other.request(path, { method: "HEAD" })).status).toBe(404);
    expect((await other.request(path)).status).toBe(404);
    expect((await split.registry.request(path, { method: "HEAD" })).status).toBe(404);
  });

  test("the gateway that took a push serves its pulls with no lookup, until a DELETE", async () => {
    const bytes = randomBytes(2048);
    // Pushed through the other gateway, which learns the blob from its commit.
    const digest = await pushBlob(other, "leases/pushed", bytes);
    const path = `/v2/leases/pushed/blobs/${digest}`;

    await split.stopMetadata();
    const pulled = await other.request(path);
    expect(pulled.status).toBe(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(bytes)).toBe(true);
    await split.startMetadata();

    // Read-after-write for a DELETE through the first gateway still holds.
    expect((await split.registry.request(path, { method: "DELETE" })).status).toBe(202);
    expect((await other.request(path, { method: "HEAD" })).status).toBe(404);
  });

  test("a DELETE that finds the blob already gone also outwaits the other gateways", async () => {
    const digest = await pushBlob(split.registry, "leases/twice", randomBytes(1024));
    const path = `/v2/leases/twice/blobs/${digest}`;
    expect((await other.request(path, { method: "HEAD" })).status).toBe(200);

    // The first DELETE is still waiting when a second one (a client retrying) arrives.
    const first = split.registry.request(path, { method: "DELETE" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await split.registry.request(path, { method: "DELETE" });
    expect(second.status).toBe(404);
    expect((await other.request(path, { method: "HEAD" })).status).toBe(404);
    expect((await first).status).toBe(202);
  });

  test("pulls within the lease are answered without the metadata service", async () => {
    const bytes = randomBytes(2048);
    const digest = await pushBlob(split.registry, "leases/reuse", bytes);
    const path = `/v2/leases/reuse/blobs/${digest}`;
    expect((await other.request(path, { method: "HEAD" })).status).toBe(200);

    await split.stopMetadata();
    const pulled = await other.request(path);
    expect(pulled.status).toBe(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(bytes)).toBe(true);

    // Once the lease has run out, the metadata service is asked again, and it is down.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    expect((await other.request(path, { method: "HEAD" })).status).toBe(503);
  });
});

describe("blob lookup leases in the embedded registry", () => {
  let registry: TestRegistry;
  // A lease far longer than any pause of a loaded machine, so that a DELETE that waited for it
  // could not pass for one that answered at once.
  const LONG_LEASE_MS = 60_000;

  beforeAll(async () => {
    registry = await startRegistry({ PORTFOLIO_BLOB_LOOKUP_LEASE_MS: String(LONG_LEASE_MS) });
  });

  afterAll(() => registry.close());

  test("a blob DELETE answers at once: there is no other gateway to wait for", async () => {
    const digest = await pushBlob(registry, "leases/embedded", randomBytes(512));
    const path = `/v2/leases/embedded/blobs/${digest}`;
    expect((await registry.request(path, { method: "HEAD" })).status).toBe(200);

    const started = performance.now();
    expect((await registry.request(path, { method: "DELETE" })).status).toBe(202);
    expect(performance.now() - started).toBeLessThan(LONG_LEASE_MS / 2);
    expect((await registry.request(path, { method: "HEAD" })).status).toBe(404);
  });
});
