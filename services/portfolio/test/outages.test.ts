import { createHash } from "node:crypto";
import { digestOf } from "@portfolio/core";
import { imageManifest, pushBlob, pushImage, putManifest, randomBytes } from "./support/registry";
import { type SplitDeployment, startSplit } from "./support/split";

/**
 * Outages of the services behind the gateway, in the split deployment: while
 * a service is down every request that needs it fails with the spec's 503
 * UNAVAILABLE (which clients retry), readiness is false and nothing half done
 * becomes visible; once it is back, the same gateway serves again by itself.
 */
// Each test starts PGlite, two servers and a gateway; CI machines under load need the room.
jest.setTimeout(60_000);

describe("the split deployment during outages", () => {
  let split: SplitDeployment;

  beforeEach(async () => {
    split = await startSplit();
  });

  afterEach(async () => {
    await split.close();
  });

  const request = (path: string, init?: RequestInit) => split.registry.request(path, init);

  test("metadata down: 503 UNAVAILABLE with Retry-After, not ready, then recovery", async () => {
    const before = await pushImage(split.registry, "outage/meta", "v1");
    const configBytes = Buffer.from('{"during":"outage"}');
    const config = await pushBlob(split.registry, "outage/meta", configBytes);
    const payload = imageManifest({ digest: config, size: configBytes.length }, []);

    await split.stopMetadata();

    await expectUnavailable(await request("/v2/outage/meta/manifests/v1"));
    await expectUnavailable(await putManifest(split.registry, "outage/meta", "v2", payload));
    // A blob this gateway has no lease on (its own pushes it serves for one
    // lease from what the commit answered; see blob-leases.test.ts).
    const unleased = digestOf(Buffer.from("pushed through no gateway"));
    await expectUnavailable(await request(`/v2/outage/meta/blobs/${unleased}`));
    await expectUnavailable(await request("/v2/outage/meta/blobs/uploads/", { method: "POST" }));
    await expectUnavailable(await request("/v2/outage/meta/tags/list"));
    const ready = await request("/readyz");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ failed: ["metadata"] });
    expect((await request("/healthz")).status).toBe(200);

    await split.startMetadata();

    await eventually(async () => expect((await request("/readyz")).status).toBe(200));
    const manifest = await request("/v2/outage/meta/manifests/v1");
    expect(manifest.status).toBe(200);
    expect(Buffer.from(await manifest.arrayBuffer()).equals(before.payload)).toBe(true);
    // The push refused during the outage left nothing behind; a retry succeeds whole.
    expect((await request("/v2/outage/meta/manifests/v2")).status).toBe(404);
    expect((await putManifest(split.registry, "outage/meta", "v2", payload)).status).toBe(201);
    const tags = (await (await request("/v2/outage/meta/tags/list")).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(["v1", "v2"]);
  });

  test("metadata down for a while: the gateway reconnects soon after it returns", async () => {
    await pushImage(split.registry, "outage/long", "v1");
    await split.stopMetadata();
    // Repeated failures grow the channel's reconnect backoff; it must stay short.
    for (let i = 0; i < 8; i++) {
      await expectUnavailable(await request("/v2/outage/long/manifests/v1"));
      await sleep(500);
    }

    await split.startMetadata();

    const started = Date.now();
    await eventually(async () => {
      expect((await request("/v2/outage/long/manifests/v1")).status).toBe(200);
    }, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("blobs down mid chunked upload: 503, then resume from the stored range", async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const digest = digestOf(bytes);
    const chunk = 1024 * 1024;
    const stored = await pushBlob(split.registry, "outage/blobs", randomBytes(1000));
    const start = await request("/v2/outage/blobs/blobs/uploads/", { method: "POST" });
    expect(start.status).toBe(202);
    const location = start.headers.get("location")!;
    expect((await patch(location, bytes, 0, chunk)).status).toBe(202);

    // A second chunk is under way when the blob service goes down.
    const cut = patchSlowly(location, bytes.subarray(chunk, 2 * chunk), chunk);
    await sleep(200);
    await split.crashBlobs();
    const failed = await cut;
    expect(failed.status).toBe(503);
    expect(await errorBody(failed)).toMatchObject({ errors: [{ code: "UNAVAILABLE" }] });

    await expectUnavailable(await request(location));
    await expectUnavailable(await request(`/v2/outage/blobs/blobs/${stored}`));
    // A blob the metadata does not know is unknown, outage or not: nothing partial is served.
    expect((await request(`/v2/outage/blobs/blobs/${digest}`)).status).toBe(404);
    expect((await request("/readyz")).status).toBe(503);

    await split.startBlobs();

    await eventually(async () => expect((await request("/readyz")).status).toBe(200));
    const status = await request(location);
    expect(status.status).toBe(204);
    const offset = Number(/^0-(\d+)$/.exec(status.headers.get("range")!)![1]) + 1;
    expect(offset).toBe(chunk);
    expect((await request(`/v2/outage/blobs/blobs/${digest}`)).status).toBe(404);

    expect((await patch(location, bytes, offset, 2 * chunk)).status).toBe(202);
    const done = await request(`${location}?digest=${digest}`, {
      method: "PUT",
      body: bytes.subarray(2 * chunk),
      headers: contentRange(2 * chunk, bytes.length),
    });
    expect(done.status).toBe(201);

    const blob = await request(`/v2/outage/blobs/blobs/${digest}`);
    expect(blob.status).toBe(200);
    const pulled = Buffer.from(await blob.arrayBuffer());
    expect(`sha256:${createHash("sha256").update(pulled).digest("hex")}`).toBe(digest);
  });

  test("blobs down at completion: no blob is served, and the upload completes later", async () => {
    const bytes = randomBytes(64 * 1024);
    const digest = digestOf(bytes);
    const start = await request("/v2/outage/commit/blobs/uploads/", { method: "POST" });
    const location = start.headers.get("location")!;
    expect((await patch(location, bytes, 0, bytes.length)).status).toBe(202);

    await split.crashBlobs();
    await expectUnavailable(await request(`${location}?digest=${digest}`, { method: "PUT" }));
    await split.startBlobs();

    expect((await request(`/v2/outage/commit/blobs/${digest}`)).status).toBe(404);
    const done = await request(`${location}?digest=${digest}`, { method: "PUT" });
    expect(done.status).toBe(201);
    const blob = await request(`/v2/outage/commit/blobs/${digest}`);
    expect(Buffer.from(await blob.arrayBuffer()).equals(bytes)).toBe(true);
  });

  function patch(location: string, bytes: Buffer, from: number, to: number) {
    return request(location, {
      method: "PATCH",
      body: bytes.subarray(from, to),
      headers: contentRange(from, to),
    });
  }

  /** A PATCH whose body trickles in, so that it is still streaming when a service goes down. */
  function patchSlowly(location: string, chunk: Buffer, offset: number) {
    const slices = 64;
    const size = chunk.length / slices;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (let i = 0; i < slices; i++) {
          controller.enqueue(chunk.subarray(i * size, (i + 1) * size));
          await sleep(20);
        }
        controller.close();
      },
    });
    return request(location, {
      method: "PATCH",
      body,
      headers: contentRange(offset, offset + chunk.length),
      duplex: "half",
    } as RequestInit).catch(() => undefined as never);
  }
});

function contentRange(from: number, to: number): Record<string, string> {
  return {
    "content-type": "application/octet-stream",
    "content-range": `${from}-${to - 1}`,
    "content-length": String(to - from),
  };
}

async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
  const body = await errorBody(response);
  expect(body).toMatchObject({ errors: [{ code: "UNAVAILABLE" }] });
  expect(typeof body.errors[0].message).toBe("string");
}

async function errorBody(response: Response) {
  return (await response.json()) as { errors: Array<{ code: string; message: string }> };
}

async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
