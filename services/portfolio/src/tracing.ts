import { ConfigError } from "./env";

/**
 * Optional OpenTelemetry tracing for every role of the `portfolio` command.
 *
 * Off unless the standard variables ask for it: OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, or OTEL_TRACES_EXPORTER=otlp
 * (OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none keep it off). Off
 * costs nothing: no SDK or instrumentation is loaded, for they are required
 * here, on demand, and never imported at the top of a file.
 *
 * On, spans go by OTLP over HTTP (JSON bodies, to `<endpoint>/v1/traces`) in
 * batches; the W3C `traceparent` is read from and written to HTTP requests
 * (node:http and undici, the gateway's client of the blob service) and gRPC
 * metadata, so one push is one trace across gateway, metadata and blobs.
 * Postgres queries (pg) are spans too. The exporter, the batch processor and
 * the sampler read their own OTEL_* variables, as the SDK documents them.
 */

// The SDK's modules by their types only: naming a type loads nothing.
type Api = typeof import("@opentelemetry/api");
type TraceSdk = typeof import("@opentelemetry/sdk-trace-node");
type Resources = typeof import("@opentelemetry/resources");
type OtlpHttpExporter = typeof import("@opentelemetry/exporter-trace-otlp-http");
type HttpModule = typeof import("@opentelemetry/instrumentation-http");
type UndiciModule = typeof import("@opentelemetry/instrumentation-undici");
type GrpcModule = typeof import("@opentelemetry/instrumentation-grpc");
type PgModule = typeof import("@opentelemetry/instrumentation-pg");

interface ActiveTracing {
  api: Api;
  shutdown(): Promise<void>;
}

let active: ActiveTracing | undefined;
let stopping: Promise<void> | undefined;

/** The roles that are traced: every long-running role and `gc`, not the account helpers. */
const TRACED_ROLES = new Set([
  "serve",
  "gateway",
  "blobs",
  "metadata",
  "consumer",
  "collector",
  "gc",
]);

/** Probes and scrapes would drown the traces that matter. */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/** How long a shutdown waits for the last spans to leave before the process exits anyway. */
const FLUSH_TIMEOUT_MS = 5_000;

/** Whether the environment asks for traces, by the OpenTelemetry SDK's own variables. */
export function tracingWanted(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  if (exporters.includes("none")) return false;
  if (exporters.includes("otlp")) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * The default service name of a role: `portfolio-<role>`, and
 * `portfolio-consumer-<name>` for a consumer. OTEL_SERVICE_NAME overrides it.
 */
export function serviceNameOf(argv: string[]): string {
  const role = argv[0] ?? "serve";
  return role === "consumer" && argv[1] ? `portfolio-consumer-${argv[1]}` : `portfolio-${role}`;
}

/**
 * Starts tracing for the command line `argv` (without node and the script)
 * when the environment asks for it and the command is a role; does nothing
 * otherwise. Must run before http, undici, @grpc/grpc-js and pg are loaded:
 * the instrumentations patch them as they load. Throws ConfigError for an
 * OTLP protocol it cannot speak.
 */
export function startTracing(argv: string[], env: NodeJS.ProcessEnv = process.env): void {
  if (active || !TRACED_ROLES.has(argv[0] ?? "serve") || !tracingWanted(env)) return;
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
    const protocol = env[name];
    if (protocol && !protocol.startsWith("http/")) {
      throw new ConfigError(`${name}=${protocol}: portfolio sends traces by OTLP over HTTP only`);
    }
  }

  active = startSdk(serviceNameOf(argv));
  // A one-shot command (gc) ends when its work is done: the last batch leaves first.
  process.once("beforeExit", () => void stopTracing());
}

function startSdk(serviceName: string): ActiveTracing {
  const api = require("@opentelemetry/api") as Api;
  const { NodeTracerProvider, BatchSpanProcessor } =
    require("@opentelemetry/sdk-trace-node") as TraceSdk;
  const resources = require("@opentelemetry/resources") as Resources;
  const { OTLPTraceExporter } =
    require("@opentelemetry/exporter-trace-otlp-http") as OtlpHttpExporter;

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over the role's name.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ "service.name": serviceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  enableInstrumentations();
  return { api, shutdown: () => provider.shutdown() };
}

function enableInstrumentations(): void {
  const { HttpInstrumentation } = require("@opentelemetry/instrumentation-http") as HttpModule;
  const { UndiciInstrumentation } =
    require("@opentelemetry/instrumentation-undici") as UndiciModule;
  const { GrpcInstrumentation } = require("@opentelemetry/instrumentation-grpc") as GrpcModule;
  const { PgInstrumentation } = require("@opentelemetry/instrumentation-pg") as PgModule;

  // Each one enables itself as it is built, on the global tracer provider just registered.
  new HttpInstrumentation({
    ignoreIncomingRequestHook: (request) =>
      UNTRACED_PATHS.has((request.url ?? "").replace(/\?.*$/, "")),
  });
  new UndiciInstrumentation();
  new GrpcInstrumentation();
  new PgInstrumentation();
}

/**
 * A pino mixin that puts the active span's `trace_id` and `span_id` on each
 * log line; undefined when tracing is off, so that logs then cost nothing more.
 */
export function traceLogMixin(): (() => Record<string, string>) | undefined {
  const api = active?.api;
  if (!api) return undefined;
  return (): Record<string, string> => {
    const context = api.trace.getActiveSpan()?.spanContext();
    return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
  };
}

/**
 * Sends the spans still buffered and stops tracing, giving up after a few
 * seconds (a collector that is down must not hold a shutdown). Never rejects;
 * resolves at once when tracing is off. Every call gets the same promise.
 */
export function stopTracing(): Promise<void> {
  if (!active) return Promise.resolve();
  stopping ??= new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    active?.shutdown().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        process.stderr.write(`portfolio: traces not flushed: ${String(error)}\n`);
        resolve();
      },
    );
  });
  return stopping;
}
