import { randomUUID } from "node:crypto";
import type { EventPayloads, EventType, RegistryEvent } from "@portfolio/core";
import type { EachMessagePayload, KafkaMessage } from "kafkajs";
import type { KafkaConsumerClient, MetadataDatabase } from "../../src";
import { sha256 } from "../helpers";

/** An event as the outbox would carry it, with a fresh id. */
export function event<T extends EventType>(
  type: T,
  payload: EventPayloads[T] & { repository: string },
  time = new Date().toISOString(),
): RegistryEvent<T> {
  return { id: randomUUID(), type, source: "test", time, repository: payload.repository, payload };
}

/**
 * Rows written straight into the tables, as a push would leave them: the
 * consumers read the database, not the store, so the tests need no store.
 */
export class Seed {
  constructor(private readonly database: MetadataDatabase) {}

  async repository(name: string): Promise<bigint> {
    const rows = await this.database.prisma.$queryRaw<{ id: bigint }[]>`
      INSERT INTO repository (name) VALUES (${name})
      ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`;
    return rows[0]!.id;
  }

  /** A manifest with the given children and subject; its digest. */
  async manifest(
    repository: string,
    body: unknown,
    options: { children?: string[]; subject?: string; artifactType?: string } = {},
  ): Promise<string> {
    const repositoryId = await this.repository(repository);
    const payload = Buffer.from(JSON.stringify(body));
    const digest = sha256(payload);
    const mediaType =
      options.children === undefined
        ? "application/vnd.oci.image.manifest.v1+json"
        : "application/vnd.oci.image.index.v1+json";
    const rows = await this.database.prisma.$queryRaw<{ id: bigint }[]>`
      INSERT INTO manifest (repository_id, digest, media_type, artifact_type, subject_digest,
        size, payload)
      VALUES (${repositoryId}, ${digest}, ${mediaType}, ${options.artifactType ?? null},
        ${options.subject ?? null}, ${payload.length}, ${payload})
      RETURNING id`;
    for (const child of options.children ?? []) {
      await this.database.prisma.$executeRaw`
        INSERT INTO manifest_child (manifest_id, digest) VALUES (${rows[0]!.id}, ${child})`;
    }
    return digest;
  }

  async tag(repository: string, tag: string, digest: string): Promise<void> {
    await this.database.prisma.$executeRaw`
      INSERT INTO tag (repository_id, name, manifest_id)
      SELECT r.id, ${tag}, m.id FROM manifest m JOIN repository r ON r.id = m.repository_id
      WHERE r.name = ${repository} AND m.digest = ${digest}
      ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = excluded.manifest_id`;
  }

  async untag(repository: string, tag: string): Promise<void> {
    await this.database.prisma.$executeRaw`
      DELETE FROM tag t USING repository r
      WHERE r.id = t.repository_id AND r.name = ${repository} AND t.name = ${tag}`;
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    await this.database.prisma.$executeRaw`
      DELETE FROM manifest m USING repository r
      WHERE r.id = m.repository_id AND r.name = ${repository} AND m.digest = ${digest}`;
  }
}

/** The tag under which tag-schema clients list the referrers of `subject`. */
export function referrersTag(subject: string): string {
  return subject.replace(":", "-");
}

/** A record as the relay writes it (CloudEvents Kafka binding, binary mode). */
export function record(e: RegistryEvent, offset: number): KafkaMessage {
  return {
    key: Buffer.from(e.repository),
    value: Buffer.from(JSON.stringify(e.payload)),
    headers: { ce_id: e.id, ce_type: e.type, ce_source: e.source, ce_time: e.time },
    offset: String(offset),
    timestamp: String(Date.now()),
    attributes: 0,
  } as KafkaMessage;
}

/** Stands in for kafkajs: hands records to eachMessage, records commits. */
export function fakeClient() {
  const committed: string[] = [];
  let handler: ((payload: EachMessagePayload) => Promise<void>) | undefined;
  const client: KafkaConsumerClient = {
    connect: async () => {},
    subscribe: async () => {},
    run: async (config) => {
      handler = config?.eachMessage;
    },
    commitOffsets: async (offsets) => {
      committed.push(...offsets.map((o) => o.offset));
    },
    disconnect: async () => {},
  };
  const deliver = (message: KafkaMessage) =>
    handler!({ topic: "t", partition: 0, message } as EachMessagePayload);
  return { client, committed, deliver };
}
