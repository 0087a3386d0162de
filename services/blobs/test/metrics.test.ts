import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServer, FilesystemBlobStorage, HttpBlobStorage } from "@portfolio/blobs";
import { digestOf } from "@portfolio/core";
import pino from "pino";
import { Counter, Registry } from "prom-client";
import { sampleValue } from "../../../test-support/prometheus-text";
import { bodyOf, readAll } from "./bodies";

describe("the blob service's /metrics", () => {
  let root: string;
  let driver: FilesystemBlobStorage;
  let server: BlobServer;
  let client: HttpBlobStorage;
  let url: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "portfolio-blobs-metrics-"));
    driver = await FilesystemBlobStorage.open(root);
    server = new BlobServer({ storage: driver, logger: pino({ level: "silent" }) });
    url = await server.listen(0, "127.0.0.1");
    client = new HttpBlobStorage({ url });
  });

  afterEach(async () => {
    await client.close();
    await server.close();
    await driver.close();
    await rm(root, { recursive: true, force: true });
  });

  async function scrape(): Promise<string> {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    return response.text();
  }

  it("counts requests, durations and body bytes by route, and not its own scrapes", async () => {
    const bytes = randomBytes(300_000);
    const uploadId = randomUUID();
    await client.createUpload(uploadId);
    await client.appendUpload(uploadId, bodyOf(bytes.subarray(0, 100_000)));
    await client.appendUpload(uploadId, bodyOf(bytes.subarray(100_000)), { offset: 100_000 });
    const stored = await client.commitUpload(uploadId, digestOf(bytes));
    expect(await readAll(await client.read(stored.storageKey))).toEqual(bytes);
    await client.ping();
    await scrape();

    const text = await scrape();
    const requests = (labels: Record<string, string>) =>
      sampleValue(text, "portfolio_http_requests_total", labels);
    expect(requests({ route: "uploads", method: "POST", status: "201" })).toBe(2);
    expect(requests({ route: "uploads", method: "PATCH", status: "200" })).toBe(2);
    expect(requests({ route: "blobs", method: "GET", status: "200" })).toBe(1);
    expect(
      sampleValue(text, "portfolio_http_request_duration_seconds_count", {
        route: "blobs",
        method: "GET",
      }),
    ).toBe(1);
    expect(sampleValue(text, "portfolio_http_bytes_received_total", { route: "uploads" })).toBe(
      bytes.length,
    );
    expect(sampleValue(text, "portfolio_http_bytes_sent_total", { route: "blobs" })).toBe(
      bytes.length,
    );
    // Neither the scrapes nor the readiness probe are traffic.
    expect(text).not.toMatch(/route="(health|other)"/);
  });

  it("takes a registry of the caller's, so one page can hold more than the requests", async () => {
    const registry = new Registry();
    new Counter({ name: "extra_total", help: "a metric of the caller's", registers: [registry] });
    const other = new BlobServer({
      storage: driver,
      logger: pino({ level: "silent" }),
      metrics: registry,
    });
    const otherUrl = await other.listen(0, "127.0.0.1");
    try {
      const text = await (await fetch(`${otherUrl}/metrics`)).text();
      expect(text).toContain("extra_total 0");
      expect(text).toContain("# TYPE portfolio_http_requests_total counter");
    } finally {
      await other.close();
    }
  });
});
