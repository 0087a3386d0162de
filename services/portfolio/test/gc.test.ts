import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { FilesystemBlobStorage } from "@portfolio/blobs";
import { digestOf } from "@portfolio/core";
import {
  createConsumers,
  createLogger,
  type EmbeddedRegistry,
  loadConfig,
  startEmbedded,
} from "@portfolio/portfolio";
import {
  imageManifest,
  pushBlob,
  putManifest,
  randomBytes,
  type TestRegistry,
} from "./support/registry";

/**
 * The embedded registry with a two-second review delay (with none, a layer
 * could go between its upload and the push of its manifest) and a collector
 * that polls often.
 */
const GC_ENV = { PORTFOLIO_GC_REVIEW_DELAY_SECONDS: "2", PORTFOLIO_GC_POLL_SECONDS: "0.05" };

describe("garbage collection in the embedded registry", () => {
  let dataDir: string;
  let embedded: EmbeddedRegistry;
  let registry: TestRegistry;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-gc-"));
    const env = { PORTFOLIO_PORT: "0", PORTFOLIO_DATA_DIR: dataDir, ...GC_ENV };
    const logger = createLogger(process.env.TEST_LOG_LEVEL ?? "silent");
    embedded = await startEmbedded(loadConfig(env), logger, createConsumers(env), env);
    registry = {
      url: embedded.url,
      dataDir,
      registry: embedded,
      request: (pathOrUrl, init) => fetch(new URL(pathOrUrl, embedded.url), init),
      restart: () => Promise.reject(new Error("not here")),
      close: () => embedded.close(),
    };
  });
  afterAll(async () => {
    await embedded.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function storedBlobCount(): Promise<number> {
    const storage = new FilesystemBlobStorage({ root: path.join(dataDir, "blobs") });
    let count = 0;
    for await (const object of storage.listObjects()) if (object.kind === "blob") count += 1;
    return count;
  }

  async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the collector");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("frees the layer only the deleted manifest used; the shared one stays", async () => {
    const repository = "gc/app";
    const configBytes = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const uniqueBytes = randomBytes(3000);
    const sharedBytes = randomBytes(4000);
    const config = {
      digest: await pushBlob(registry, repository, configBytes),
      size: configBytes.length,
    };
    const unique = { digest: await pushBlob(registry, repository, uniqueBytes), size: 3000 };
    const shared = { digest: await pushBlob(registry, repository, sharedBytes), size: 4000 };
    const first = imageManifest(config, [unique, shared]);
    const second = imageManifest(config, [shared]);
    expect((await putManifest(registry, repository, "v1", first)).status).toBe(201);
    expect((await putManifest(registry, repository, "v2", second)).status).toBe(201);
    const before = await storedBlobCount();

    const deleted = await registry.request(`/v2/${repository}/manifests/${digestOf(first)}`, {
      method: "DELETE",
    });
    expect(deleted.status).toBe(202);

    const blob = (digest: string) => registry.request(`/v2/${repository}/blobs/${digest}`);
    expect((await blob(unique.digest)).status).toBe(200);
    await until(async () => (await blob(unique.digest)).status === 404);
    await until(async () => (await storedBlobCount()) === before - 1);
    const served = await blob(shared.digest);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(sharedBytes)).toBe(true);
    expect((await blob(config.digest)).status).toBe(200);
    expect((await registry.request(`/v2/${repository}/manifests/v2`)).status).toBe(200);
  });
});
