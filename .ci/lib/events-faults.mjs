#!/usr/bin/env node
// Fault scenarios for event delivery (the outbox relay to Kafka). Each check
// prints "ok - …" or "not ok - …"; the last line is "N passed, N failed" and the
// exit code is non-zero when anything failed.
//
//   node .ci/lib/events-faults.mjs relay-kill --postgres URL --brokers HOST:PORT [--main FILE]
//       Creates a database of its own on the Postgres server of URL, runs its own
//       `portfolio metadata` (FILE, default services/portfolio/dist/main.js) with
//       the relay on a topic of its own, writes a large backlog straight into the
//       outbox, SIGKILLs the process while it is publishing, restarts it, and
//       checks that every event id arrives on the topic (duplicates allowed).
//
//   node .ci/lib/events-faults.mjs kafka-down --registry HOST:PORT --database URL
//       --brokers HOST:PORT --kafka-dir DIR [--topic T] [--metadata-http HOST:PORT]
//       Against a running split deployment whose metadata relays to Kafka (the
//       broker started by `.ci/services/kafka.sh start PORT DIR`): stops Kafka,
//       runs 100 pushes through the gateway (all must succeed), checks the events
//       wait in the outbox (and on /metrics when --metadata-http is given), starts
//       Kafka again on the same port and DIR, and checks every event arrives.
//       The restarted broker's pid is in DIR/kafka.pid.
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const results = { passed: 0, failed: 0 };

function check(ok, what, detail = "") {
  results[ok ? "passed" : "failed"] += 1;
  console.log(`${ok ? "ok" : "not ok"} - ${what}${detail ? ` (${detail})` : ""}`);
  return ok;
}

function log(message) {
  console.log(`# ${message}`);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined)
      throw new Error(`bad argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

function need(args, name) {
  if (!args[name]) throw new Error(`--${name} is required`);
  return args[name];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Reads `topic` from the beginning until every id in `ids` was seen; what arrived. */
async function consumeIds(brokers, topic, ids, timeoutMs) {
  const kafka = new Kafka({ brokers, clientId: "events-faults", logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `events-faults-${randomUUID()}` });
  const seen = new Map();
  const wanted = new Set(ids);
  let missing = wanted.size;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.headers?.ce_id?.toString();
        if (!id) return;
        const count = seen.get(id) ?? 0;
        seen.set(id, count + 1);
        if (count === 0 && wanted.has(id)) missing -= 1;
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (missing > 0 && Date.now() < deadline) await sleep(200);
  } finally {
    await consumer.disconnect();
  }
  const duplicates = [...seen.values()].reduce((sum, n) => sum + (n - 1), 0);
  return { missing, duplicates, received: seen.size };
}

async function metric(http, name) {
  const text = await (await fetch(`http://${http}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

// ------------------------------------------------------------- relay-kill

function startMetadata(main, env) {
  const child = spawn(process.execPath, [main, "metadata"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  const keep = (chunk) => {
    lines.push(chunk.toString());
    if (lines.length > 200) lines.shift();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.tail = () => lines.join("").split("\n").slice(-20).join("\n");
  child.exited = new Promise((resolve) => child.once("exit", resolve));
  return child;
}

async function relayKill(args) {
  const server = need(args, "postgres");
  const brokers = need(args, "brokers").split(",");
  const main = path.resolve(args.main ?? path.join(repo, "services/portfolio/dist/main.js"));
  const rows = Number(args.rows ?? 30000);
  const name = `portfolio_faults_${randomBytes(4).toString("hex")}`;
  const topic = `portfolio.faults.${randomUUID()}`;
  const admin = new URL(server);
  admin.pathname = "/postgres";
  const url = new URL(server);
  url.pathname = `/${name}`;

  await withClient(admin.href, (c) => c.query(`CREATE DATABASE ${name}`));
  const http = `127.0.0.1:${await freePort()}`;
  const env = {
    PORTFOLIO_DATABASE_URL: url.href,
    PORTFOLIO_METADATA_LISTEN: `127.0.0.1:${await freePort()}`,
    PORTFOLIO_METADATA_HTTP: http,
    PORTFOLIO_KAFKA_BROKERS: brokers.join(","),
    PORTFOLIO_KAFKA_TOPIC: topic,
    PORTFOLIO_LOG_LEVEL: "warn",
  };
  let child = startMetadata(main, env);
  try {
    await waitUntil(
      "metadata /readyz",
      60_000,
      async () => (await fetch(`http://${http}/readyz`)).ok,
    );
    // Written in one transaction so the relay sees a large backlog at once.
    const ids = await withClient(url.href, async (c) => {
      const result = await c.query(
        `INSERT INTO outbox_event (id, type, repository, payload, request_id)
         SELECT gen_random_uuid(), 'io.portfolio.tag.set.v1', 'faults/repo-' || (n % 20),
                jsonb_build_object('repository', 'faults/repo-' || (n % 20), 'tag', 't' || n,
                                   'digest', 'sha256:' || md5(n::text) || md5(n::text)),
                'faults-' || n
         FROM generate_series(1, $1::int) AS n
         RETURNING id::text`,
        [rows],
      );
      return result.rows.map((r) => r.id);
    });
    log(`wrote ${ids.length} events; waiting for the relay to start publishing`);

    const published = await waitUntil("the first published batch", 60_000, async () => {
      const n = await metric(http, "portfolio_outbox_published_total");
      return n > 0 ? n : undefined;
    });
    child.kill("SIGKILL");
    await child.exited;
    const backlog = await withClient(url.href, async (c) =>
      Number(
        (await c.query("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")).rows[0]
          .count,
      ),
    );
    check(
      backlog > 0,
      "SIGKILLed the relay with events still unpublished",
      `${published} published, ${backlog} left`,
    );

    child = startMetadata(main, env);
    await waitUntil("the backlog to drain after the restart", 120_000, async () => {
      const left = await metric(http, "portfolio_outbox_backlog");
      return left === 0;
    });
    check(true, "the restarted relay published the rest");

    const arrived = await consumeIds(brokers, topic, ids, 90_000);
    check(
      arrived.missing === 0,
      `every one of ${ids.length} events arrived on ${topic}`,
      `${arrived.missing} missing, ${arrived.duplicates} duplicates`,
    );
  } catch (error) {
    check(false, "relay-kill scenario", `${error.message}\n${child.tail()}`);
  } finally {
    child.kill("SIGTERM");
    await Promise.race([child.exited, sleep(20_000)]);
    child.kill("SIGKILL");
    await withClient(admin.href, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    ).catch(() => undefined);
  }
}

// ------------------------------------------------------------- kafka-down

const sha256 = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function pushBlob(registry, repository, bytes) {
  const digest = sha256(bytes);
  const start = await fetch(`http://${registry}/v2/${repository}/blobs/uploads/`, {
    method: "POST",
  });
  if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
  const location = new URL(start.headers.get("location"), `http://${registry}`);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  if (put.status !== 201) throw new Error(`PUT blob: ${put.status} ${await put.text()}`);
  return { digest, size: bytes.length };
}

/** Pushes a tiny image (config, one layer, manifest, tag); throws unless every step succeeded. */
async function pushImage(registry, repository, tag) {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", tag }));
  const layer = randomBytes(64);
  const c = await pushBlob(registry, repository, config);
  const l = await pushBlob(registry, repository, layer);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...c },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...l }],
  });
  const put = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${await put.text()}`);
}

async function kafkaDown(args) {
  const registry = need(args, "registry");
  const database = need(args, "database");
  const brokers = need(args, "brokers").split(",");
  const kafkaDir = need(args, "kafka-dir");
  const topic = args.topic ?? "portfolio.events";
  const port = brokers[0].split(":").pop();
  const kafkaSh = path.join(repo, ".ci/services/kafka.sh");

  const before = await withClient(
    database,
    async (c) =>
      (await c.query("SELECT coalesce(max(sequence), 0)::text AS s FROM outbox_event")).rows[0].s,
  );
  const pid = readFileSync(path.join(kafkaDir, "kafka.pid"), "utf8").trim();
  execFileSync("bash", [kafkaSh, "stop", pid], { stdio: "inherit" });
  log(`Kafka (pid ${pid}) stopped; pushing 100 images`);

  try {
    const failures = [];
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 100) {
          const i = next++;
          await pushImage(registry, `faults/down-${i % 10}`, `t${i}`).catch((error) =>
            failures.push(`${i}: ${error.message}`),
          );
        }
      }),
    );
    check(
      failures.length === 0,
      "all 100 pushes succeeded with Kafka down",
      failures.length ? failures.slice(0, 3).join("; ") : `${Date.now() - t0} ms`,
    );

    const events = await withClient(
      database,
      async (c) =>
        (
          await c.query(
            "SELECT id::text, type, published_at FROM outbox_event WHERE sequence > $1::bigint",
            [before],
          )
        ).rows,
    );
    const pushed = events.filter((e) => e.type === "io.portfolio.manifest.pushed.v1").length;
    check(
      pushed >= 100,
      "every push wrote a manifest.pushed event",
      `${pushed} of ${events.length} events`,
    );
    check(
      events.every((e) => e.published_at === null),
      "none of them was published while Kafka was down",
    );
    if (args["metadata-http"]) {
      await sleep(1000);
      const backlog = await metric(args["metadata-http"], "portfolio_outbox_backlog");
      check(backlog >= events.length, "portfolio_outbox_backlog shows them", `backlog ${backlog}`);
    }

    log("starting Kafka again");
    execFileSync("bash", [kafkaSh, "start", port, kafkaDir], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    await waitUntil("the outbox to drain", 120_000, () =>
      withClient(database, async (c) => {
        const result = await c.query(
          "SELECT count(*) AS n FROM outbox_event" +
            " WHERE sequence > $1::bigint AND published_at IS NULL",
          [before],
        );
        return Number(result.rows[0].n) === 0;
      }),
    );
    const ids = events.map((e) => e.id);
    const arrived = await consumeIds(brokers, topic, ids, 90_000);
    check(
      arrived.missing === 0,
      `every one of ${ids.length} events arrived once Kafka was back`,
      `${arrived.missing} missing, ${arrived.duplicates} duplicates`,
    );
  } catch (error) {
    check(false, "kafka-down scenario", error.message);
  } finally {
    // Leave a broker running for whatever comes next, whatever happened above.
    const current = readFileSync(path.join(kafkaDir, "kafka.pid"), "utf8").trim();
    if (current === pid) {
      try {
        execFileSync("bash", [kafkaSh, "start", port, kafkaDir], {
          stdio: ["ignore", "ignore", "inherit"],
        });
      } catch {}
    }
  }
}

const scenarios = { "relay-kill": relayKill, "kafka-down": kafkaDown };

async function main() {
  const [name, ...rest] = process.argv.slice(2);
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`usage: events-faults.mjs ${Object.keys(scenarios).join("|")} --option value…`);
    process.exit(2);
  }
  try {
    await scenario(parseArgs(rest));
  } catch (error) {
    check(false, name, error.message);
  }
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed === 0 ? 0 : 1);
}

await main();
