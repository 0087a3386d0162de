#!/usr/bin/env node
// First, so that tracing (when it is on) instruments the modules the commands load.
import "./start-tracing";
import { hashPassword, robotSecret } from "./commands/accounts";
import { blobs } from "./commands/blobs";
import { collector } from "./commands/collector";
import { consumer } from "./commands/consumer";
import { gateway } from "./commands/gateway";
import { gc } from "./commands/gc";
import { metadata } from "./commands/metadata";
import { serve } from "./commands/serve";
import { ConfigError } from "./config";
import { applyConfigFile } from "./config-file";
import { stopTracing } from "./tracing";

/** The `portfolio` command. Each subcommand is one process role. */
const COMMANDS: Record<string, { run: () => Promise<void>; help: string }> = {
  serve: { run: serve, help: "the whole registry in one process (the embedded default)" },
  gateway: { run: gateway, help: "the HTTP API alone, over the metadata and blob services" },
  blobs: { run: blobs, help: "the blob service alone, serving its storage over HTTP" },
  metadata: { run: metadata, help: "the metadata service alone, serving Postgres over gRPC" },
  consumer: { run: () => consumer(), help: "consumer <referrers|gc-feed>: an event consumer" },
  gc: { run: () => gc(), help: "gc [--dry-run]: reconcile once, deleting (or reporting) garbage" },
  collector: { run: collector, help: "the garbage collector: the review queue and reconciliation" },
  "hash-password": {
    run: hashPassword,
    help: "reads a password on stdin, prints its bcrypt hash for the access file",
  },
  "robot-secret": { run: robotSecret, help: "prints a new robot secret and its SHA-256" },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { help }]) => `  ${name.padEnd(14)} ${help}`);
  return [
    "usage: portfolio [command]",
    "",
    "commands:",
    ...lines,
    "",
    "Configuration comes from PORTFOLIO_* environment variables (see docs/configuration.md).",
    "",
  ].join("\n");
}

async function main(argv: string[]): Promise<void> {
  const name = argv[0] ?? "serve";
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new ConfigError(`unknown command ${name}\n\n${usage()}`);
  applyConfigFile(process.env);
  await command.run();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`portfolio: ${error.message}\n`);
  } else {
    process.stderr.write(`portfolio: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  void stopTracing().finally(() => process.exit(1));
});
