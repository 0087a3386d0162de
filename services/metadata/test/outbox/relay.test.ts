import { EVENT_TYPES } from "@portfolio/core";
import pino from "pino";
import { Registry } from "prom-client";
import {
  type MetadataDatabase,
  OutboxRelay,
  openEmbeddedDatabase,
  openPostgres,
  registerOutboxMetrics,
  startHealthEndpoints,
} from "../../src";
import { createTestDatabase, dropTestDatabase, makeTempDir, removeTempDir } from "../helpers";
import { MemoryPublisher, publishedCount, rowCount, waitFor, writeEvents } from "./support";

/** Two handles on one database: one PGlite shared, or two pools on one Postgres database. */
interface Backend {
  first: MetadataDatabase;
  second: MetadataDatabase;
  dispose(): Promise<void>;
}

async function pglite(): Promise<Backend> {
  const dir = await makeTempDir();
  const database = await openEmbeddedDatabase(dir);
  return {
    first: database,
    second: database,
    async dispose() {
      await database.close();
      await removeTempDir(dir);
    },
  };
}

async function postgres(): Promise<Backend> {
  const url = await createTestDatabase();
  const first = await openPostgres(url.href);
  const second = await openPostgres(url.href, { migrate: false });
  return {
    first,
    second,
    async dispose() {
      await first.close();
      await second.close();
      await dropTestDatabase(url);
    },
  };
}

const backends: [string, () => Promise<Backend>][] = [
  ["pglite", pglite],
  ...(process.env.PORTFOLIO_TEST_POSTGRES_URL
    ? [["postgres", postgres] as [string, () => Promise<Backend>]]
    : []),
];

describe.each(backends)("outbox relay on %s", (_name, open) => {
  let backend: Backend;
  let database: MetadataDatabase;
  const relays: OutboxRelay[] = [];

  function relay(publisher: MemoryPublisher, options = {}, db = database): OutboxRelay {
    const created = new OutboxRelay(db, publisher, { idleMs: 10, source: "/test", ...options });
    relays.push(created);
    return created;
  }

  // One database per backend (opening PGlite takes seconds); each test starts empty.
  beforeAll(async () => {
    backend = await open();
    database = backend.first;
  });

  afterAll(() => backend.dispose());

  beforeEach(() => database.prisma.$executeRaw`TRUNCATE outbox_event`);

  afterEach(() => Promise.all(relays.splice(0).map((r) => r.stop())));

  it("publishes unpublished rows in sequence order, then marks them", async () => {
    const a = await writeEvents(database, "library/a", 2);
    const b = await writeEvents(database, "library/b", 2);
    const a2 = await writeEvents(database, "library/a", 1);
    const publisher = new MemoryPublisher();
    const subject = relay(publisher);

    expect(await subject.backlog()).toBe(5);
    expect(await subject.runOnce()).toEqual({ status: "published", count: 5, full: false });
    expect(publisher.events.map((e) => e.id)).toEqual([...a, ...b, ...a2]);
    const [first, second] = publisher.events;
    expect(first).toEqual({
      id: a[0],
      type: EVENT_TYPES.tagSet,
      source: "/test",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      repository: "library/a",
      requestId: "req-0",
      payload: { repository: "library/a", tag: "t0", digest: `sha256:${"0".repeat(64)}` },
    });
    expect(second).not.toHaveProperty("requestId");
    expect(await subject.backlog()).toBe(0);
    expect(await publishedCount(database)).toBe(5);
    expect(await subject.runOnce()).toEqual({ status: "idle" });
  });

  it("works through a backlog in batches, without pausing after a full one", async () => {
    const ids = await writeEvents(database, "library/batch", 25);
    const publisher = new MemoryPublisher();
    const subject = relay(publisher, { batchSize: 10, idleMs: 60_000 });

    expect(await subject.runOnce()).toEqual({ status: "published", count: 10, full: true });
    subject.start();
    await waitFor(async () => (await subject.backlog()) === 0);
    expect(publisher.batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(publisher.events.map((e) => e.id)).toEqual(ids);
  });

  it("marks nothing while the publisher fails; delivers everything once it recovers", async () => {
    const ids = await writeEvents(database, "library/retry", 12);
    const publisher = new MemoryPublisher();
    const published: number[] = [];
    const subject = relay(publisher, {
      batchSize: 5,
      onPublished: (n: number) => published.push(n),
    });

    publisher.failNext(1);
    await expect(subject.runOnce()).rejects.toThrow("broker unavailable");
    expect(await publishedCount(database)).toBe(0);

    publisher.failNext(3);
    subject.start();
    await waitFor(async () => (await subject.backlog()) === 0);
    expect(publisher.events.map((e) => e.id)).toEqual(ids);
    expect(published).toEqual([5, 5, 2]);
  });

  it("fails a publish that outlasts publishTimeoutMs, leaving its rows unpublished", async () => {
    await writeEvents(database, "library/slow", 3);
    const publisher = new MemoryPublisher();
    publisher.gate = new Promise(() => undefined);
    const subject = relay(publisher, { publishTimeoutMs: 100 });

    await expect(subject.runOnce()).rejects.toThrow("longer than 100 ms");
    expect(await subject.backlog()).toBe(3);
  });

  it("lets only one of two relays on one database publish a batch", async () => {
    const ids = await writeEvents(database, "library/pair", 8);
    let release = () => {};
    const first = new MemoryPublisher();
    first.gate = new Promise((resolve) => {
      release = resolve;
    });
    const second = new MemoryPublisher();
    // The leader publishes while it holds the lock: its publish being called says it has it.
    let publishing = () => {};
    const holdsLock = new Promise<void>((resolve) => {
      publishing = resolve;
    });
    const publish = first.publish.bind(first);
    first.publish = (events) => {
      publishing();
      return publish(events);
    };
    const leader = relay(first);
    const follower = relay(second, {}, backend.second);

    const leading = leader.runOnce();
    await holdsLock;
    const following = follower.runOnce();
    // On Postgres the follower finds the lock taken and answers at once; PGlite's one session
    // runs it only after the leader's batch, so waiting for it there would wait forever.
    if (backend.first !== backend.second) await following;
    release();

    expect(await leading).toEqual({ status: "published", count: 8, full: false });
    // Two pools on Postgres really overlap; PGlite's one session runs them in turn.
    const expected = backend.first === backend.second ? "idle" : "busy";
    expect((await following).status).toBe(expected);
    expect(first.events.map((e) => e.id)).toEqual(ids);
    expect(second.events).toEqual([]);
  });

  it("shares a backlog between two running relays without duplicates or loss", async () => {
    const ids = await writeEvents(database, "library/shared", 60);
    const first = new MemoryPublisher();
    const second = new MemoryPublisher();
    relay(first, { batchSize: 7 }).start();
    relay(second, { batchSize: 7 }, backend.second).start();

    await waitFor(async () => (await publishedCount(database)) === 60);
    const all = [...first.events, ...second.events].map((e) => e.id);
    expect(all.sort()).toEqual([...ids].sort());
  });

  it("finishes the batch in flight when stopped", async () => {
    await writeEvents(database, "library/stop", 4);
    let release = () => {};
    const publisher = new MemoryPublisher();
    publisher.gate = new Promise((resolve) => {
      release = resolve;
    });
    const subject = relay(publisher);
    subject.start();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopped = subject.stop();
    release();
    await stopped;
    expect(await publishedCount(database)).toBe(4);
  });

  it("prunes rows published long enough ago, in small batches, and nothing else", async () => {
    await writeEvents(database, "library/prune", 5);
    const subject = relay(new MemoryPublisher(), { pruneAfterMs: 60_000, pruneBatchSize: 2 });
    await subject.runOnce();
    await writeEvents(database, "library/prune", 2);
    expect(await subject.prune()).toBe(0);

    await database.prisma.$executeRaw`
      UPDATE outbox_event SET published_at = now() - interval '2 minutes'
      WHERE published_at IS NOT NULL`;
    expect(await subject.prune()).toBe(5);
    expect(await rowCount(database)).toBe(2);
    expect(await subject.backlog()).toBe(2);
  });

  it("publishes outside a transaction in single mode", async () => {
    const ids = await writeEvents(database, "library/single", 3);
    const publisher = new MemoryPublisher();
    const subject = relay(publisher, { coordination: "single" });
    expect(await subject.runOnce()).toEqual({ status: "published", count: 3, full: false });
    expect(publisher.events.map((e) => e.id)).toEqual(ids);
    expect(await subject.backlog()).toBe(0);
  });

  it("exposes the backlog and the published count on /metrics", async () => {
    await writeEvents(database, "library/metrics", 3);
    const registry = new Registry();
    const subject = relay(new MemoryPublisher());
    const metrics = registerOutboxMetrics(registry, () => subject.backlog());
    const logger = pino({ level: "silent" });
    const health = await startHealthEndpoints({
      host: "127.0.0.1",
      port: 0,
      logger,
      ready: async () => {},
      metrics: registry,
    });
    try {
      let text = await (await fetch(`${health.url}/metrics`)).text();
      expect(text).toMatch(/^portfolio_outbox_backlog 3$/m);
      const result = await subject.runOnce();
      if (result.status === "published") metrics.published(result.count);
      text = await (await fetch(`${health.url}/metrics`)).text();
      expect(text).toMatch(/^portfolio_outbox_backlog 0$/m);
      expect(text).toMatch(/^portfolio_outbox_published_total 3$/m);
    } finally {
      await health.close();
    }
  });
});
