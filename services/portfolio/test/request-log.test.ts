import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createLogger,
  type EmbeddedRegistry,
  loadConfig,
  startEmbedded,
} from "@portfolio/portfolio";

interface LogLine {
  level: number;
  reqId?: string;
  msg: string;
  status?: number;
}

let dataDir: string;
let registry: EmbeddedRegistry;
const lines: LogLine[] = [];
const raw: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-log-"));
  const config = loadConfig({ PORTFOLIO_PORT: "0", PORTFOLIO_DATA_DIR: dataDir });
  const logger = createLogger("info", {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as LogLine);
    },
  });
  registry = await startEmbedded(config, logger);
});
afterAll(async () => {
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

function linesOf(requestId: string): LogLine[] {
  return lines.filter((line) => line.reqId === requestId);
}

/** Waits until the registry has written something for the request. */
async function settled(requestId: string): Promise<void> {
  for (let i = 0; i < 100 && linesOf(requestId).length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe("the request log", () => {
  it("writes one line per request, with its id and without the credentials", async () => {
    const response = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: "Bearer s3cr3t-t0ken", "x-request-id": "log-ok-1" },
    });
    expect(response.headers.get("x-request-id")).toBe("log-ok-1");
    await settled("log-ok-1");

    expect(linesOf("log-ok-1")).toEqual([
      expect.objectContaining({ level: 30, msg: "request completed", status: 200 }),
    ]);
    expect(raw.join("")).not.toContain("s3cr3t-t0ken");
  });

  it("logs an upload the client aborts as one info line, not as a server error", async () => {
    const start = await fetch(`${registry.url}/v2/log/abort/blobs/uploads/`, { method: "POST" });
    const location = start.headers.get("location")!;
    const url = new URL(location, registry.url);

    const patch = httpRequest(url, {
      method: "PATCH",
      headers: { "content-length": 1_000_000, "x-request-id": "log-abort-1" },
    });
    patch.on("error", () => {});
    // The registry must have the request before the client leaves; a sleep alone does not
    // ensure that: after a long pause the timer runs before the connection is even made.
    const arrived = once(registry.app.server, "request");
    patch.write(Buffer.alloc(10_000));
    await arrived;
    await new Promise((resolve) => setTimeout(resolve, 200));
    patch.destroy();
    await settled("log-abort-1");

    expect(linesOf("log-abort-1")).toEqual([
      expect.objectContaining({ level: 30, msg: "request aborted by the client", status: 499 }),
    ]);
    const status = await fetch(url);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-0");
  });
});
