import { EVENT_TYPES } from "@portfolio/core";
import {
  applyOnce,
  type MetadataDatabase,
  openEmbeddedDatabase,
  PrismaMetadataStore,
  ReferrersIndexer,
  subjectOfReferrersTag,
} from "../../src";
import { makeTempDir, removeTempDir } from "../helpers";
import { event, referrersTag, Seed } from "./support";

let dir: string;
let database: MetadataDatabase;
let store: PrismaMetadataStore;
let seed: Seed;
const indexer = new ReferrersIndexer();

beforeAll(async () => {
  dir = await makeTempDir();
  database = await openEmbeddedDatabase(dir);
  store = new PrismaMetadataStore(database);
  seed = new Seed(database);
});
afterAll(async () => {
  await store.close();
  await removeTempDir(dir);
});

let count = 0;
/** A repository with a subject image and two artifacts that do not name it. */
async function oldClientReferrers() {
  count += 1;
  const repository = `indexer/app-${count}`;
  const subject = await seed.manifest(repository, { image: count });
  const sbom = await seed.manifest(repository, { sbom: count }, { artifactType: "x/sbom" });
  const sig = await seed.manifest(repository, { sig: count }, { artifactType: "x/sig" });
  const index = await seed.manifest(
    repository,
    { referrers: [sbom, sig] },
    { children: [sbom, sig] },
  );
  return { repository, subject, sbom, sig, index, tag: referrersTag(subject) };
}

async function tagSet(repository: string, tag: string, digest: string, previousDigest?: string) {
  await seed.tag(repository, tag, digest);
  const payload = { repository, tag, digest, ...(previousDigest ? { previousDigest } : {}) };
  await applyOnce(database, indexer, event(EVENT_TYPES.tagSet, payload));
}

async function referrerDigests(repository: string, subject: string, artifactType?: string) {
  const listed = await store.listReferrers(repository, subject, artifactType);
  return listed.map((descriptor) => descriptor.digest);
}

describe("the referrers indexer", () => {
  it("reads only sha256-<64 hex> tags as referrers tags", () => {
    const hex = "a".repeat(64);
    expect(subjectOfReferrersTag(`sha256-${hex}`)).toBe(`sha256:${hex}`);
    expect(subjectOfReferrersTag(`sha256-${hex.slice(1)}`)).toBeUndefined();
    expect(subjectOfReferrersTag(`sha512-${hex}`)).toBeUndefined();
    expect(subjectOfReferrersTag("latest")).toBeUndefined();
  });

  it("lists what a referrers-tag index lists once its tag.set is applied", async () => {
    const app = await oldClientReferrers();
    await seed.tag(app.repository, app.tag, app.index);
    expect(await referrerDigests(app.repository, app.subject)).toEqual([]);

    await applyOnce(
      database,
      indexer,
      event(EVENT_TYPES.tagSet, { repository: app.repository, tag: app.tag, digest: app.index }),
    );

    expect(await referrerDigests(app.repository, app.subject)).toEqual([app.sbom, app.sig].sort());
    expect(await referrerDigests(app.repository, app.subject, "x/sig")).toEqual([app.sig]);
    expect(await referrerDigests(`${app.repository}-other`, app.subject)).toEqual([]);
  });

  it("follows the tag when a client moves it to a new index", async () => {
    const app = await oldClientReferrers();
    await tagSet(app.repository, app.tag, app.index);
    const next = await seed.manifest(app.repository, { only: app.sig }, { children: [app.sig] });

    await tagSet(app.repository, app.tag, next, app.index);

    expect(await referrerDigests(app.repository, app.subject)).toEqual([app.sig]);
  });

  it("forgets them when the tag or its index is deleted", async () => {
    const byTag = await oldClientReferrers();
    await tagSet(byTag.repository, byTag.tag, byTag.index);
    await seed.untag(byTag.repository, byTag.tag);
    const untagged = { repository: byTag.repository, tag: byTag.tag, digest: byTag.index };
    await applyOnce(database, indexer, event(EVENT_TYPES.tagDeleted, untagged));
    expect(await referrerDigests(byTag.repository, byTag.subject)).toEqual([]);

    const byIndex = await oldClientReferrers();
    await tagSet(byIndex.repository, byIndex.tag, byIndex.index);
    await seed.deleteManifest(byIndex.repository, byIndex.index);
    const deleted = { repository: byIndex.repository, digest: byIndex.index, tags: [byIndex.tag] };
    await applyOnce(database, indexer, event(EVENT_TYPES.manifestDeleted, deleted));
    expect(await referrerDigests(byIndex.repository, byIndex.subject)).toEqual([]);
  });

  it("lists a referrer in both places once, and never a deleted one", async () => {
    const app = await oldClientReferrers();
    const both = await seed.manifest(app.repository, { both: 1 }, { subject: app.subject });
    const index = await seed.manifest(
      app.repository,
      { listed: [app.sbom, both] },
      { children: [app.sbom, both] },
    );
    await tagSet(app.repository, app.tag, index);
    expect(await referrerDigests(app.repository, app.subject)).toEqual([app.sbom, both].sort());

    await seed.deleteManifest(app.repository, app.sbom);
    expect(await referrerDigests(app.repository, app.subject)).toEqual([both]);
  });

  it("leaves other tags alone", async () => {
    const app = await oldClientReferrers();
    await tagSet(app.repository, "latest", app.index);
    const rows = await database.prisma.tagSchemaReferrer.count();
    await tagSet(app.repository, "sha256-not-a-digest", app.index);
    expect(await database.prisma.tagSchemaReferrer.count()).toBe(rows);
  });
});
