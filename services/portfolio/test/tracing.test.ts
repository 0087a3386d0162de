import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { digestOf } from "@portfolio/core";
import { Client } from "pg";
import { serviceNameOf, tracingWanted } from "../src/tracing";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./support/otlp-receiver";
import { LOADED_MODULES_PROBE, type LogLine, type RoleProcess, startRole } from "./support/roles";

/** What loaded-modules.cjs reports as a process exits. */
interface ProbeReport {
  packages: string[];
  rss: number;
}

const SERVER = 2;
const postgres = process.env.PORTFOLIO_TEST_POSTGRES_URL ? describe : describe.skip;

let receiver: OtlpReceiver;
let dataDir: string;
const running: RoleProcess[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-tracing-"));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((role) => role.stop()));
});
afterAll(async () => {
  await receiver.close();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * Tracing on, towards the receiver. The batch waits a minute, longer than any
 * test: spans reach the receiver only because a stopping role flushes them.
 */
function tracingEnv(): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "60000" };
}

/** Starts a role with the probe preloaded; `probe` reads its report once it has exited. */
function startProbed(args: string[], env: NodeJS.ProcessEnv) {
  const file = path.join(dataDir, `probe-${randomUUID()}.json`);
  const role = startRole(args, { ...env, PORTFOLIO_TEST_PROBE_FILE: file }, [
    "--require",
    LOADED_MODULES_PROBE,
  ]);
  running.push(role);
  const probe = async () => JSON.parse(await readFile(file, "utf8")) as ProbeReport;
  return { role, probe };
}

function spansOf(service: string, traceId: string): ReceivedSpan[] {
  return receiver.spans.filter((span) => span.service === service && span.traceId === traceId);
}

describe("when tracing is on", () => {
  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }, true],
    [{ OTEL_TRACES_EXPORTER: "otlp" }, true],
    [{ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, false],
    [{ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, false],
    [{ OTEL_SERVICE_NAME: "registry" }, false],
    [{}, false],
  ])("%j turns it %s", (env, on) => {
    expect(tracingWanted(env)).toBe(on);
  });

  it("names each role's service portfolio-<role>", () => {
    expect(serviceNameOf([])).toBe("portfolio-serve");
    expect(serviceNameOf(["gateway"])).toBe("portfolio-gateway");
    expect(serviceNameOf(["consumer", "gc-feed"])).toBe("portfolio-consumer-gc-feed");
  });
});

describe("with no OTEL_* variable", () => {
  it("a role loads no OpenTelemetry SDK or instrumentation and logs no trace id", async () => {
    const { role, probe } = startProbed(["serve"], {
      PORTFOLIO_PORT: "0",
      PORTFOLIO_DATA_DIR: path.join(dataDir, "serve"),
    });
    const { url } = await role.logged("registry listening");

    expect((await fetch(`${url}/v2/`)).status).toBe(200);
    expect(await role.stop()).toBe(0);
    // prom-client loads the API alone (for exemplars), which does nothing without an SDK.
    expect((await probe()).packages).toEqual(["@opentelemetry/api"]);
    expect(role.lines.filter((line) => "trace_id" in line)).toEqual([]);
  });
});

describe("with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("the blob service joins the caller's trace, logs its id, flushes as it stops", async () => {
    const traceId = randomBytes(16).toString("hex");
    const parentSpanId = randomBytes(8).toString("hex");
    const { role, probe } = startProbed(["blobs"], {
      ...tracingEnv(),
      OTEL_SERVICE_NAME: "blob-store-test",
      PORTFOLIO_BLOBS_LISTEN: "127.0.0.1:0",
      PORTFOLIO_DATA_DIR: path.join(dataDir, "blobs"),
    });
    const { url } = await role.logged("blob service listening");
    const traceparent = `00-${traceId}-${parentSpanId}-01`;

    const missing = await fetch(`${url}/blobs/${digestOf(Buffer.from("absent"))}`, {
      headers: { traceparent },
    });
    await fetch(`${url}/healthz`, { headers: { traceparent } });
    expect(missing.status).toBe(404);
    expect(await role.stop()).toBe(0);

    const spans = spansOf("blob-store-test", traceId);
    expect(spans).toEqual([expect.objectContaining({ kind: SERVER, parentSpanId, name: "GET" })]);
    expect(spans[0]?.attributes["http.response.status_code"]).toBe(404);
    const logged = role.lines.filter((line: LogLine) => line.msg === "request completed");
    expect(logged.map((line) => [line.url, line.trace_id])).toEqual([
      [expect.stringMatching(/^\/blobs\//), traceId],
      ["/healthz", undefined],
    ]);
    expect((await probe()).packages).toEqual(
      expect.arrayContaining([
        "@opentelemetry/sdk-trace-node",
        "@opentelemetry/instrumentation-http",
      ]),
    );
  });

  it("refuses an OTLP protocol other than HTTP", async () => {
    const role = startRole(["blobs"], { ...tracingEnv(), OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
    running.push(role);

    expect(await role.exited).toBe(1);
  });
});

postgres("the split deployment with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  let databaseUrl: URL;
  beforeAll(async () => {
    databaseUrl = await createDatabase();
  });
  afterAll(async () => {
    await dropDatabase(databaseUrl);
  });

  it("makes one trace of a blob push across gateway, metadata and blobs", async () => {
    const { gateway, blobsUrl, stopAll } = await startSplit(databaseUrl);
    const listening = await gateway.logged("gateway listening");
    const { port } = (listening.addresses as Array<{ port: number }>)[0]!;
    const bytes = randomBytes(4096);

    const pushed = await fetch(
      `http://127.0.0.1:${port}/v2/traced/app/blobs/uploads/?digest=${digestOf(bytes)}`,
      { method: "POST", body: bytes, headers: { "content-type": "application/octet-stream" } },
    );
    expect(pushed.status).toBe(201);
    const gc = startRole(["gc", "--dry-run"], {
      ...tracingEnv(),
      PORTFOLIO_DATABASE_URL: databaseUrl.href,
      PORTFOLIO_BLOBS_URL: blobsUrl,
    });
    running.push(gc);
    expect(await gc.exited).toBe(0);
    expect(await stopAll()).toEqual([0, 0, 0]);

    const push = receiver.spans.find(
      (span) =>
        span.service === "portfolio-gateway" &&
        span.kind === SERVER &&
        String(span.attributes["url.path"]).startsWith("/v2/traced/app/blobs/uploads"),
    );
    expect(push).toBeDefined();
    const traceId = push!.traceId;
    const gatewaySpans = new Set(spansOf("portfolio-gateway", traceId).map((span) => span.spanId));
    const servedBy = (service: string) =>
      spansOf(service, traceId).filter((span) => span.kind === SERVER);
    // Each service's server spans are children of the gateway's client spans: the context crossed.
    expect(servedBy("portfolio-metadata").length).toBeGreaterThan(0);
    expect(servedBy("portfolio-blobs").length).toBeGreaterThan(0);
    for (const span of [...servedBy("portfolio-metadata"), ...servedBy("portfolio-blobs")]) {
      expect(gatewaySpans.has(span.parentSpanId ?? "")).toBe(true);
    }
    expect(spansOf("portfolio-metadata", traceId).map((span) => span.scope)).toContain(
      "@opentelemetry/instrumentation-pg",
    );
    const logged = gateway.lines.find(
      (line) => line.msg === "request completed" && line.method === "POST",
    );
    expect(logged?.trace_id).toBe(traceId);
    // A one-shot role sends its spans as it exits.
    expect(receiver.spans.some((span) => span.service === "portfolio-gc")).toBe(true);
  });
});

/** metadata and blobs on free ports, then a gateway over them, all traced. */
async function startSplit(databaseUrl: URL) {
  const metadata = startRole(["metadata"], {
    ...tracingEnv(),
    PORTFOLIO_DATABASE_URL: databaseUrl.href,
    PORTFOLIO_METADATA_LISTEN: "127.0.0.1:0",
    PORTFOLIO_METADATA_HTTP: "127.0.0.1:0",
  });
  const blobs = startRole(["blobs"], {
    ...tracingEnv(),
    PORTFOLIO_BLOBS_LISTEN: "127.0.0.1:0",
    PORTFOLIO_DATA_DIR: path.join(dataDir, "split"),
  });
  running.push(metadata, blobs);
  const { address } = await metadata.logged("metadata service listening", 60_000);
  const { url: blobsUrl } = await blobs.logged("blob service listening");
  const gateway = startRole(["gateway"], {
    ...tracingEnv(),
    PORTFOLIO_PORT: "0",
    PORTFOLIO_METADATA_ADDRESS: String(address),
    PORTFOLIO_BLOBS_URL: String(blobsUrl),
  });
  running.push(gateway);
  // The gateway first, so that nothing it sends is left without an answer.
  const stopAll = async () => [await gateway.stop(), await metadata.stop(), await blobs.stop()];
  return { gateway, blobsUrl: String(blobsUrl), stopAll };
}

async function createDatabase(): Promise<URL> {
  const url = new URL(process.env.PORTFOLIO_TEST_POSTGRES_URL!);
  url.pathname = `/portfolio_tracing_${randomUUID().replaceAll("-", "")}`;
  const name = url.pathname.slice(1);
  // As the metadata tests make theirs: the collation the migrations expect.
  await asAdmin(
    url,
    `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
  );
  return url;
}

async function dropDatabase(url: URL): Promise<void> {
  await asAdmin(url, `DROP DATABASE IF EXISTS ${url.pathname.slice(1)} WITH (FORCE)`);
}

async function asAdmin(url: URL, sql: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
