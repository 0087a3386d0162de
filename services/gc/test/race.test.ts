import { ManifestReferencesUnknownError } from "@portfolio/core";
import { reviewDue } from "../src";
import { EAGER, type Fixture, imagePut, openFixture, stored } from "./helpers";

const ROUNDS = 300;
const postgres = process.env.PORTFOLIO_TEST_POSTGRES_URL ? describe : describe.skip;

/** A pause of 0-2 event-loop turns, so each side of the race gets to go first. */
async function jitter(): Promise<void> {
  const turns = Math.floor(Math.random() * 3);
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Real Postgres only: PGlite is one session, so nothing there runs at the
 * same time. Each round queues the link of a freshly uploaded layer for review
 * with no delay and then, at once, pushes a manifest that references it,
 * uploads the same layer into another repository, and runs the collector.
 */
postgres(`the collector racing pushes on postgres (${ROUNDS} rounds)`, () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await openFixture("postgres", 20);
  });
  afterAll(() => fixture.dispose());

  it(`never loses a blob of an acknowledged manifest or upload in ${ROUNDS} rounds`, async () => {
    const options = { database: fixture.database, storage: fixture.storage, policy: EAGER };
    const config = await fixture.upload("race", "config");
    const acknowledged: { repository: string; blobs: string[] }[] = [];
    let refused = 0;

    for (let round = 0; round < ROUNDS; round += 1) {
      const layer = await fixture.upload("race", `layer ${round}`);
      await fixture.database.prisma.$executeRaw`
        INSERT INTO gc_candidate (kind, repository, digest, review_after)
        VALUES ('blob-link', 'race', ${layer.digest}, now())`;
      const put = imagePut("race", config.digest, [layer.digest], `r${round}`);
      const push = jitter().then(() => fixture.store.putManifest(put));
      const reupload = jitter().then(() => fixture.upload(`copy-${round}`, `layer ${round}`));
      const collect = jitter().then(() => reviewDue(options, 10));

      const [pushed, copied] = await Promise.allSettled([push, reupload, collect]);
      if (pushed.status === "fulfilled")
        acknowledged.push({ repository: "race", blobs: put.blobs });
      else if (pushed.reason instanceof ManifestReferencesUnknownError) refused += 1;
      else throw pushed.reason;
      if (copied.status === "rejected") throw copied.reason;
      acknowledged.push({ repository: `copy-${round}`, blobs: [layer.digest] });
    }
    await reviewDue(options, 10_000);

    let lost = 0;
    for (const { repository, blobs } of acknowledged) {
      for (const digest of blobs) {
        const blob = await fixture.store.findBlob(repository, digest);
        if (blob === undefined || !(await stored(fixture.storage, blob.storageKey))) lost += 1;
      }
    }
    process.stdout.write(
      `gc race: ${ROUNDS} rounds, ${acknowledged.length} acknowledged writes ` +
        `(${ROUNDS - refused} manifests, ${ROUNDS} uploads), ` +
        `${refused} pushes refused, ${lost} blobs lost\n`,
    );
    expect(lost).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(ROUNDS);
  }, 120_000);
});
