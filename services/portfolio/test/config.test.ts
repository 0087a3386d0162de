import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyConfigFile, ConfigError, loadConfig } from "@portfolio/portfolio";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "portfolio-config-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function configFile(content: string): Promise<string> {
  const file = path.join(dir, `${Math.random()}.json`);
  await writeFile(file, content);
  return file;
}

describe("configuration", () => {
  it("has defaults for every setting", () => {
    const config = loadConfig({});
    expect(config.host).toBe("127.0.0.1");
    expect(config.port).toBe(5000);
    expect(config.limits.maxManifestBytes).toBe(4 * 1024 * 1024);
    expect(config.limits.uploadTtlMs).toBe(24 * 60 * 60 * 1000);
    expect(config.limits.blobLookupLeaseMs).toBe(2_000);
    expect(config.limits.blobLookupLeasesShared).toBe(true);
    expect(loadConfig({ PORTFOLIO_BLOB_LOOKUP_LEASE_MS: "0" }).limits.blobLookupLeaseMs).toBe(0);
  });

  it.each([
    ["PORTFOLIO_PORT", "70000"],
    ["PORTFOLIO_PORT", "http"],
    ["PORTFOLIO_MAX_MANIFEST_BYTES", "1024"],
    ["PORTFOLIO_LOG_LEVEL", "loud"],
    ["PORTFOLIO_BLOB_LOOKUP_LEASE_MS", "-1"],
    ["PORTFOLIO_BLOB_LOOKUP_LEASE_MS", "600000"],
  ])("refuses %s=%s with a message naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("reads a JSON file, with the environment winning over it", async () => {
    const file = await configFile('{"PORTFOLIO_PORT": 6000, "PORTFOLIO_HOST": "0.0.0.0"}');
    const env: NodeJS.ProcessEnv = { PORTFOLIO_CONFIG_FILE: file, PORTFOLIO_HOST: "::1" };
    applyConfigFile(env);

    const config = loadConfig(env);
    expect(config.port).toBe(6000);
    expect(config.host).toBe("::1");
  });

  it.each([
    ["not JSON", "{port"],
    ["not an object", "[1]"],
    ["an unknown setting", '{"port": 5000}'],
    ["a nested value", '{"PORTFOLIO_PORT": {"value": 1}}'],
  ])("refuses a file that is %s", async (_why, content) => {
    const env: NodeJS.ProcessEnv = { PORTFOLIO_CONFIG_FILE: await configFile(content) };
    expect(() => applyConfigFile(env)).toThrow(ConfigError);
  });
});
