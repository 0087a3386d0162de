import { randomBytes as cryptoRandomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { digestOf, MediaType } from "@portfolio/core";
import {
  createLogger,
  type EmbeddedRegistry,
  loadConfig,
  startEmbedded,
} from "@portfolio/portfolio";

/** A real embedded registry on a free port, over a fresh data folder. */
export interface TestRegistry {
  url: string;
  dataDir: string;
  registry: EmbeddedRegistry;
  /** Fetches a path (`/v2/...`) or an absolute URL. */
  request(pathOrUrl: string, init?: RequestInit): Promise<Response>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `logTo` receives every log line (JSON) at info level and above. */
export async function startRegistry(
  env: NodeJS.ProcessEnv = {},
  options: { logTo?: string[] } = {},
): Promise<TestRegistry> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-test-"));
  const config = loadConfig({ PORTFOLIO_PORT: "0", PORTFOLIO_DATA_DIR: dataDir, ...env });
  const { logTo } = options;
  const logger = logTo
    ? createLogger("info", { write: (line: string) => logTo.push(line) })
    : createLogger(process.env.TEST_LOG_LEVEL ?? "silent");

  const handle: TestRegistry = {
    url: "",
    dataDir,
    registry: await startEmbedded(config, logger),
    request(pathOrUrl, init) {
      return fetch(new URL(pathOrUrl, handle.url), init);
    },
    async restart() {
      await handle.registry.close();
      handle.registry = await startEmbedded(config, logger);
      handle.url = handle.registry.url;
    },
    async close() {
      await handle.registry.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  handle.url = handle.registry.url;
  return handle;
}

/** The `errors[0].code` of an error response. */
export async function errorCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { errors?: Array<{ code: string }> };
  return body.errors?.[0]?.code;
}

/** Pushes bytes as a blob with a monolithic POST; returns the digest. */
export async function pushBlob(
  registry: TestRegistry,
  repository: string,
  bytes: Buffer,
): Promise<string> {
  const digest = digestOf(bytes);
  const response = await registry.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: "POST",
    body: bytes,
    headers: { "content-type": "application/octet-stream" },
  });
  if (response.status !== 201) throw new Error(`blob push answered ${response.status}`);
  return digest;
}

export interface PushedImage {
  digest: string;
  payload: Buffer;
  config: string;
  layers: string[];
}

/** Builds an OCI image manifest over the given config and layers. */
export function imageManifest(
  config: { digest: string; size: number; mediaType?: string },
  layers: Array<{ digest: string; size: number }>,
  extra: Record<string, unknown> = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: layers.map((layer) => ({
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        ...layer,
      })),
      ...extra,
    }),
  );
}

/** Pushes a config, `layerCount` random layers and a manifest under `reference`. */
export async function pushImage(
  registry: TestRegistry,
  repository: string,
  reference: string,
  options: { layerCount?: number; extra?: Record<string, unknown> } = {},
): Promise<PushedImage> {
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: "amd64", os: "linux", id: Math.random() }),
  );
  const config = await pushBlob(registry, repository, configBytes);
  const layers: Array<{ digest: string; size: number }> = [];
  for (let i = 0; i < (options.layerCount ?? 1); i++) {
    const bytes = randomBytes(1000 + i);
    layers.push({ digest: await pushBlob(registry, repository, bytes), size: bytes.length });
  }

  const payload = imageManifest(
    { digest: config, size: configBytes.length },
    layers,
    options.extra,
  );
  const response = await putManifest(registry, repository, reference, payload);
  if (response.status !== 201) throw new Error(`manifest push answered ${response.status}`);
  return { digest: digestOf(payload), payload, config, layers: layers.map((l) => l.digest) };
}

export function putManifest(
  registry: TestRegistry,
  repository: string,
  reference: string,
  payload: Buffer,
  mediaType: string = MediaType.ociManifest,
): Promise<Response> {
  return registry.request(`/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    body: payload,
    headers: { "content-type": mediaType },
  });
}

export function randomBytes(size: number): Buffer {
  return cryptoRandomBytes(size);
}
