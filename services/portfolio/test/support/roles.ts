import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

/** The built `portfolio` command (npm test builds it first). */
export const MAIN_JS = path.resolve(__dirname, "../../dist/main.js");

/** Preload that reports the @opentelemetry packages a process loaded (loaded-modules.cjs). */
export const LOADED_MODULES_PROBE = path.resolve(__dirname, "loaded-modules.cjs");

export type LogLine = Record<string, unknown> & { msg?: string };

/** One role of the `portfolio` command, running as its own process. */
export interface RoleProcess {
  child: ChildProcess;
  /** Its log lines so far, parsed. */
  lines: LogLine[];
  /** The first log line with this message, waiting for it if need be. */
  logged(msg: string, timeoutMs?: number): Promise<LogLine>;
  /** Its exit code, once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `portfolio <args>` with only PATH and `env` in its environment (none
 * of the caller's OTEL_* variables), `nodeArgs` before the script. Log lines
 * on stdout are parsed; stderr is kept for the failure message.
 */
export function startRole(
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): RoleProcess {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  const waiting: Array<() => void> = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (line.startsWith("{")) lines.push(JSON.parse(line) as LogLine);
    for (const wake of waiting.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

  async function logged(msg: string, timeoutMs = 20_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = lines.find((candidate) => candidate.msg === msg);
      if (line) return line;
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        throw new Error(`portfolio ${args.join(" ")} never logged "${msg}"; stderr: ${stderr}`);
      }
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  return {
    child,
    lines,
    logged,
    exited,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
