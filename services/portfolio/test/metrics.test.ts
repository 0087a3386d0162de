import { sampleValue } from "../../../test-support/prometheus-text";
import { pushImage, startRegistry, type TestRegistry } from "./support/registry";

describe("the embedded registry's /metrics", () => {
  let registry: TestRegistry;

  beforeEach(async () => {
    registry = await startRegistry();
  });

  afterEach(async () => {
    await registry.close();
  });

  async function scrape(): Promise<string> {
    const response = await registry.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    return response.text();
  }

  it("counts a push and a pull by OCI resource, with their body bytes", async () => {
    const image = await pushImage(registry, "metrics/app", "v1");
    const manifest = await registry.request("/v2/metrics/app/manifests/v1", {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(Buffer.from(await manifest.arrayBuffer())).toEqual(image.payload);
    const layer = await registry.request(`/v2/metrics/app/blobs/${image.layers[0]}`);
    const layerBytes = (await layer.arrayBuffer()).byteLength;
    expect(layer.status).toBe(200);
    const head = await registry.request(`/v2/metrics/app/blobs/${image.layers[0]}`, {
      method: "HEAD",
    });
    expect(head.status).toBe(200);
    await registry.request("/v2/");
    await registry.request("/healthz");
    await registry.request("/readyz");
    await scrape();

    const text = await scrape();
    const requests = (labels: Record<string, string>) =>
      sampleValue(text, "portfolio_http_requests_total", labels);
    expect(requests({ route: "uploads", method: "POST", status: "201" })).toBe(2);
    expect(requests({ route: "manifests", method: "PUT", status: "201" })).toBe(1);
    expect(requests({ route: "manifests", method: "GET", status: "200" })).toBe(1);
    expect(requests({ route: "blobs", method: "GET", status: "200" })).toBe(1);
    expect(requests({ route: "blobs", method: "HEAD", status: "200" })).toBe(1);
    expect(requests({ route: "base", method: "GET", status: "200" })).toBe(1);
    const latency = { route: "manifests", method: "GET" };
    expect(sampleValue(text, "portfolio_http_request_duration_seconds_count", latency)).toBe(1);
    expect(
      sampleValue(text, "portfolio_http_request_duration_seconds_bucket", {
        ...latency,
        le: "+Inf",
      }),
    ).toBe(1);

    const received = (route: string) =>
      sampleValue(text, "portfolio_http_bytes_received_total", { route });
    const sent = (route: string) => sampleValue(text, "portfolio_http_bytes_sent_total", { route });
    expect(received("manifests")).toBe(image.payload.length);
    // The config blob and the 1000-byte layer, pushed as monolithic POSTs.
    expect(received("uploads")).toBeGreaterThan(1000);
    expect(sent("manifests")).toBe(image.payload.length);
    // The GET's bytes; the HEAD sends none.
    expect(sent("blobs")).toBe(layerBytes);
    expect(layerBytes).toBe(1000);

    // Probes and scrapes are not counted, and raw URLs never become labels.
    expect(text).not.toMatch(/route="(other|\/[^"]*)"/);
  });

  it("shows the outbox, the collector and the process on the same page", async () => {
    const text = await scrape();
    expect(sampleValue(text, "portfolio_outbox_backlog")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(text, "portfolio_gc_queue_length")).toBe(0);
    expect(text).toContain("# TYPE portfolio_gc_reclaimed_bytes_total counter");
    expect(sampleValue(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
  });
});
