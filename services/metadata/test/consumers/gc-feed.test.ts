import { EVENT_TYPES } from "@portfolio/core";
import {
  applyOnce,
  DEFAULT_GC_REVIEW_DELAY_MS,
  GcFeed,
  type MetadataDatabase,
  openEmbeddedDatabase,
} from "../../src";
import { makeTempDir, removeTempDir } from "../helpers";
import { event, Seed } from "./support";

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse("2026-12-04T12:00:00.000Z");
const at = (ms: number) => new Date(ms).toISOString();

let dir: string;
let database: MetadataDatabase;
const feed = new GcFeed(HOUR);

beforeAll(async () => {
  dir = await makeTempDir();
  database = await openEmbeddedDatabase(dir);
});
afterAll(async () => {
  await database.close();
  await removeTempDir(dir);
});
beforeEach(() => database.prisma.gcCandidate.deleteMany());

async function candidates() {
  const rows = await database.prisma.gcCandidate.findMany({
    orderBy: [{ kind: "asc" }, { digest: "asc" }],
  });
  return rows.map((row) => ({
    kind: row.kind,
    repository: row.repository,
    digest: row.digest,
    reviewAfter: row.reviewAfter.toISOString(),
  }));
}

describe("the garbage-collection feed", () => {
  it("waits a day by default", () => {
    expect(DEFAULT_GC_REVIEW_DELAY_MS).toBe(24 * HOUR);
  });

  it("queues what a deleted manifest referenced, for review after the delay", async () => {
    const seed = new Seed(database);
    const subject = await seed.manifest("gc/app", { deleted: true });
    const referrer = await seed.manifest("gc/app", { sig: true }, { subject });
    const deleted = {
      repository: "gc/app",
      digest: subject,
      tags: ["v1"],
      blobs: ["sha256:c", "sha256:l"],
      manifests: ["sha256:child"],
    };

    await applyOnce(database, feed, event(EVENT_TYPES.manifestDeleted, deleted, at(T0)));

    const due = at(T0 + HOUR);
    expect(await candidates()).toEqual([
      { kind: "blob-link", repository: "gc/app", digest: "sha256:c", reviewAfter: due },
      { kind: "blob-link", repository: "gc/app", digest: "sha256:l", reviewAfter: due },
      { kind: "manifest", repository: "gc/app", digest: referrer, reviewAfter: due },
      { kind: "manifest", repository: "gc/app", digest: "sha256:child", reviewAfter: due },
    ]);
  });

  it("queues the manifest a tag left, and the bytes of a deleted blob", async () => {
    const moved = {
      repository: "gc/a",
      tag: "v1",
      digest: "sha256:new",
      previousDigest: "sha256:old",
    };
    const created = { repository: "gc/a", tag: "v2", digest: "sha256:new" };
    const untagged = { repository: "gc/a", tag: "v3", digest: "sha256:gone" };
    await applyOnce(database, feed, event(EVENT_TYPES.tagSet, moved, at(T0)));
    await applyOnce(database, feed, event(EVENT_TYPES.tagSet, created, at(T0)));
    await applyOnce(database, feed, event(EVENT_TYPES.tagDeleted, untagged, at(T0)));
    await applyOnce(
      database,
      feed,
      event(EVENT_TYPES.blobDeleted, { repository: "gc/a", digest: "sha256:b" }, at(T0)),
    );

    const due = at(T0 + HOUR);
    expect(await candidates()).toEqual([
      { kind: "blob", repository: "", digest: "sha256:b", reviewAfter: due },
      { kind: "manifest", repository: "gc/a", digest: "sha256:gone", reviewAfter: due },
      { kind: "manifest", repository: "gc/a", digest: "sha256:old", reviewAfter: due },
    ]);
  });

  it("queues uploads and untagged pushes in case nothing ever references them", async () => {
    const uploaded = { repository: "gc/p", digest: "sha256:u", size: 1 };
    const pushed = (digest: string, tags: string[], subject?: string) => ({
      repository: "gc/p",
      digest,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      size: 2,
      blobs: [],
      manifests: [],
      tags,
      ...(subject ? { subject } : {}),
    });
    await applyOnce(database, feed, event(EVENT_TYPES.blobUploaded, uploaded, at(T0)));
    await applyOnce(
      database,
      feed,
      event(EVENT_TYPES.manifestPushed, pushed("sha256:m", []), at(T0)),
    );
    await applyOnce(
      database,
      feed,
      event(EVENT_TYPES.manifestPushed, pushed("sha256:t", ["v1"]), at(T0)),
    );
    await applyOnce(
      database,
      feed,
      event(EVENT_TYPES.manifestPushed, pushed("sha256:r", [], "sha256:m"), at(T0)),
    );

    expect((await candidates()).map((c) => `${c.kind} ${c.digest}`)).toEqual([
      "blob-link sha256:u",
      "manifest sha256:m",
    ]);
  });

  it("keeps the earlier review time when a candidate comes again", async () => {
    const unlinked = { repository: "gc/r", digest: "sha256:x" };
    await applyOnce(database, feed, event(EVENT_TYPES.blobDeleted, unlinked, at(T0)));
    await applyOnce(database, feed, event(EVENT_TYPES.blobDeleted, unlinked, at(T0 + 5 * HOUR)));
    await applyOnce(
      database,
      new GcFeed(0),
      event(EVENT_TYPES.blobDeleted, unlinked, at(T0 - HOUR)),
    );

    expect(await candidates()).toEqual([
      { kind: "blob", repository: "", digest: "sha256:x", reviewAfter: at(T0 - HOUR) },
    ]);
  });
});
