import { EVENT_TYPES, type EventType } from "@portfolio/core";
import { applyOnce, type EventConsumer } from "../../src";
import type { Db } from "../../src/sql";
import { useEmbeddedDatabase } from "../helpers";
import { event } from "./support";

/** Counts its applications in memory and leaves a row per application. */
class CountingConsumer implements EventConsumer {
  readonly name = "counting";
  applied = 0;
  failNext = false;

  handles(type: string): type is EventType {
    return type === EVENT_TYPES.tagDeleted;
  }

  async apply(tx: Db): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO gc_candidate (kind, digest, review_after)
      VALUES ('test', ${`${this.name} ${this.applied}`}, now())`;
    if (this.failNext) {
      this.failNext = false;
      throw new Error("crashed mid-effect");
    }
    this.applied += 1;
  }
}

const database = useEmbeddedDatabase();

const deleted = () =>
  event(EVENT_TYPES.tagDeleted, { repository: "r", tag: "v1", digest: "sha256:0" });

async function effectRows(): Promise<number> {
  return database().prisma.gcCandidate.count({ where: { kind: "test" } });
}

describe("applyOnce", () => {
  beforeEach(() => database().prisma.gcCandidate.deleteMany({ where: { kind: "test" } }));

  it("applies an event once however often it is delivered", async () => {
    const consumer = new CountingConsumer();
    const once = deleted();

    expect(await applyOnce(database(), consumer, once)).toBe("applied");
    expect(await applyOnce(database(), consumer, once)).toBe("duplicate");
    expect(await applyOnce(database(), consumer, { ...once })).toBe("duplicate");

    expect(consumer.applied).toBe(1);
    expect(await effectRows()).toBe(1);
  });

  it("applies an event delivered several times at once exactly once", async () => {
    const consumer = new CountingConsumer();
    const once = deleted();

    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => applyOnce(database(), consumer, once)),
    );

    expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(4);
    expect(await effectRows()).toBe(1);
  });

  it("keeps no effect nor marker when the effect fails; redelivery applies it", async () => {
    const consumer = new CountingConsumer();
    const once = deleted();
    consumer.failNext = true;

    await expect(applyOnce(database(), consumer, once)).rejects.toThrow("crashed mid-effect");
    expect(await effectRows()).toBe(0);

    expect(await applyOnce(database(), consumer, once)).toBe("applied");
    expect(await effectRows()).toBe(1);
  });

  it("records the event per consumer: another consumer still gets it", async () => {
    const first = new CountingConsumer();
    const second = Object.assign(new CountingConsumer(), { name: "other" });
    const once = deleted();

    expect(await applyOnce(database(), first, once)).toBe("applied");
    expect(await applyOnce(database(), second, once)).toBe("applied");
  });

  it("ignores events the consumer does not handle, leaving no marker", async () => {
    const consumer = new CountingConsumer();
    const pushed = event(EVENT_TYPES.repositoryCreated, { repository: "r" });

    expect(await applyOnce(database(), consumer, pushed)).toBe("ignored");
    const markers = await database().prisma.processedEvent.count({ where: { eventId: pushed.id } });
    expect(markers).toBe(0);
  });
});
