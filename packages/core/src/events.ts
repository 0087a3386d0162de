/**
 * The registry's events: what outside consumers (scanners, signers, CI,
 * replication) and our own consumers receive. Version 1 of the contract;
 * docs/events.md describes it for readers, docs/events.schema.json for tools.
 * A change that breaks a consumer gets a new version in the type name.
 */
export const EVENT_TYPES = {
  repositoryCreated: "io.portfolio.repository.created.v1",
  manifestPushed: "io.portfolio.manifest.pushed.v1",
  manifestDeleted: "io.portfolio.manifest.deleted.v1",
  tagSet: "io.portfolio.tag.set.v1",
  tagDeleted: "io.portfolio.tag.deleted.v1",
  blobUploaded: "io.portfolio.blob.uploaded.v1",
  blobMounted: "io.portfolio.blob.mounted.v1",
  blobDeleted: "io.portfolio.blob.deleted.v1",
} as const;

export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** The payload of each event type: what changed, in the spec's names. */
export interface EventPayloads {
  [EVENT_TYPES.repositoryCreated]: { repository: string };
  [EVENT_TYPES.manifestPushed]: {
    repository: string;
    digest: string;
    mediaType: string;
    size: number;
    artifactType?: string;
    subject?: string;
    /** Config and layer digests (an image), empty for an index. */
    blobs: string[];
    /** The manifests an index lists, empty for an image. */
    manifests: string[];
    /** The tags the push set (zero or one; `tag.set` events follow). */
    tags: string[];
  };
  [EVENT_TYPES.manifestDeleted]: {
    repository: string;
    digest: string;
    /** The tags that pointed to it and went with it. */
    tags: string[];
    /**
     * The config and layer digests it referenced, and the manifests it listed
     * (an index): their rows go with the manifest, so the event carries them
     * for the garbage-collection feed. Absent from events written before.
     */
    blobs?: string[];
    manifests?: string[];
  };
  [EVENT_TYPES.tagSet]: {
    repository: string;
    tag: string;
    digest: string;
    /** The digest the tag pointed to before, when it moved. */
    previousDigest?: string;
  };
  [EVENT_TYPES.tagDeleted]: { repository: string; tag: string; digest: string };
  [EVENT_TYPES.blobUploaded]: { repository: string; digest: string; size: number };
  [EVENT_TYPES.blobMounted]: { repository: string; digest: string; size: number; from?: string };
  [EVENT_TYPES.blobDeleted]: { repository: string; digest: string };
}

/**
 * An event as stored in the outbox and published: Kafka carries `payload` as
 * the JSON value, the repository as the key, and the envelope fields as
 * headers (`ce_id`, `ce_type`, `ce_source`, `ce_time`, `ce_specversion`,
 * `x-request-id`), after the CloudEvents Kafka binding.
 */
export interface RegistryEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  /** Which registry produced it, e.g. a URI naming the installation. */
  source: string;
  time: string;
  repository: string;
  requestId?: string;
  payload: EventPayloads[T];
}

/**
 * Where the outbox relay sends events: Kafka in the split deployment, the
 * in-process consumers in the embedded default. `publish` resolves only once
 * every event is durably handed over (acknowledged by the brokers, or applied
 * by the consumers), in the order given; the relay marks them published only
 * then, so a failure or crash means redelivery, never loss.
 */
export interface EventPublisher {
  publish(events: readonly RegistryEvent[]): Promise<void>;
  close(): Promise<void>;
}
