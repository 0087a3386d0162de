import { EVENT_TYPES } from "@portfolio/core";
import pino from "pino";
import { GcFeed, KafkaEventLoop } from "../../src";
import { useEmbeddedDatabase } from "../helpers";
import { event, fakeClient, record } from "./support";

const database = useEmbeddedDatabase();

describe("the Kafka loop", () => {
  it("commits each offset after the effect, and applies a redelivered record once", async () => {
    const { client, committed, deliver } = fakeClient();
    const loop = new KafkaEventLoop(client, database(), new GcFeed(), {
      topic: "t",
      logger: pino({ level: "silent" }),
    });
    await loop.start();
    const deleted = event(EVENT_TYPES.blobDeleted, { repository: "k/a", digest: "sha256:k" });

    await deliver(record(deleted, 7));
    // A restart before the commit reached the broker delivers it again.
    await deliver(record(deleted, 7));
    await deliver({ ...record(deleted, 8), headers: { ce_type: EVENT_TYPES.blobDeleted } });

    expect(committed).toEqual(["8", "8", "9"]);
    expect(await database().prisma.gcCandidate.count({ where: { digest: "sha256:k" } })).toBe(1);
    await loop.stop();
  });

  it("leaves the offset alone when the effect fails, so the record comes again", async () => {
    const { client, committed, deliver } = fakeClient();
    const failing = Object.assign(new GcFeed(), {
      apply: async () => {
        throw new Error("database() down");
      },
    });
    const loop = new KafkaEventLoop(client, database(), failing, {
      topic: "t",
      logger: pino({ level: "silent" }),
    });
    await loop.start();
    const deleted = event(EVENT_TYPES.blobDeleted, { repository: "k/b", digest: "sha256:b" });

    await expect(deliver(record(deleted, 3))).rejects.toThrow("database() down");
    expect(committed).toEqual([]);
  });
});
