import { EVENT_TYPES, type RegistryEvent } from "@portfolio/core";
import {
  type EventConsumer,
  GcFeed,
  InProcessEventPublisher,
  type MetadataDatabase,
  openEmbeddedDatabase,
  ReferrersIndexer,
} from "../../src";
import { makeTempDir, removeTempDir } from "../helpers";
import { event, referrersTag, Seed } from "./support";

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(() => removeTempDir(dir));

/** Fails once the n-th application has written its effect, like a process killed mid-batch. */
function dyingAfter(consumer: EventConsumer, n: number): EventConsumer {
  let left = n;
  return {
    name: consumer.name,
    handles: (type) => consumer.handles(type),
    async apply(tx, e) {
      await consumer.apply(tx, e);
      left -= 1;
      if (left < 0) throw new Error("killed");
    },
  };
}

async function effects(database: MetadataDatabase) {
  return {
    candidates: await database.prisma.gcCandidate.findMany({
      select: { kind: true, digest: true, reviewAfter: true },
      orderBy: { digest: "asc" },
    }),
    referrers: await database.prisma.tagSchemaReferrer.count(),
    processed: await database.prisma.processedEvent.count(),
  };
}

describe("a consumer killed and restarted", () => {
  it("applies each effect once when the same events are delivered again", async () => {
    let database = await openEmbeddedDatabase(dir);
    const seed = new Seed(database);
    const subject = await seed.manifest("restart/app", { subject: true });
    const sbom = await seed.manifest("restart/app", { sbom: true });
    const index = await seed.manifest("restart/app", { index: true }, { children: [sbom] });
    const tag = referrersTag(subject);
    await seed.tag("restart/app", tag, index);
    const events: RegistryEvent[] = [
      event(EVENT_TYPES.tagSet, { repository: "restart/app", tag, digest: index }),
      event(EVENT_TYPES.blobDeleted, { repository: "restart/app", digest: "sha256:a" }),
      event(EVENT_TYPES.blobDeleted, { repository: "restart/app", digest: "sha256:b" }),
      event(EVENT_TYPES.tagDeleted, { repository: "restart/app", tag: "v1", digest: sbom }),
    ];

    // The first process dies while the gc feed applies its third event.
    const dying = new InProcessEventPublisher(database, [
      new ReferrersIndexer(),
      dyingAfter(new GcFeed(), 2),
    ]);
    await expect(dying.publish(events)).rejects.toThrow("killed");
    const before = await effects(database);
    expect(before.candidates.map((c) => c.digest)).toEqual(["sha256:a"]);
    await database.close();

    // Restarted, it is given the whole batch again (nothing was marked published).
    database = await openEmbeddedDatabase(dir);
    const restarted = new InProcessEventPublisher(database, [new ReferrersIndexer(), new GcFeed()]);
    await restarted.publish(events);
    await restarted.publish(events);
    const after = await effects(database);
    await database.close();

    expect(after.candidates.map((c) => c.digest)).toEqual(["sha256:a", "sha256:b", sbom]);
    expect(after.candidates[0]!.reviewAfter).toEqual(before.candidates[0]!.reviewAfter);
    expect(after.referrers).toBe(1);
    // One marker per event and consumer that handles it: the indexer two, the feed four.
    expect(after.processed).toBe(6);
  });
});
