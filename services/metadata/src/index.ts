export { type ChangeOptions, runChange } from "./change";
export * from "./consumers";
export type { MetadataDatabase, OpenOptions } from "./database";
export { openEmbeddedDatabase } from "./embedded";
export {
  DEFAULT_DEADLINE_MS,
  GrpcMetadataStore,
  type GrpcMetadataStoreOptions,
} from "./grpc/client";
export { withGrpcClientMetrics } from "./grpc/client-metrics";
export {
  METADATA_SERVICE_NAME,
  type MetadataServer,
  type MetadataServerOptions,
  startMetadataServer,
} from "./grpc/server";
export { grpcServerMetrics } from "./grpc/server-metrics";
export {
  type HealthEndpoints,
  type HealthEndpointsOptions,
  startHealthEndpoints,
} from "./health-endpoints";
export { deleteManifest } from "./manifests";
export { applyMigrations, type MigrateOptions, type MigrationConnection } from "./migrate";
export { defaultMigrationsDir } from "./migration-files";
export {
  DEFAULT_EVENTS_TOPIC,
  KafkaEventPublisher,
  type KafkaEventPublisherOptions,
  toMessage,
} from "./outbox/kafka-publisher";
export {
  createMetadataMetrics,
  type OutboxMetrics,
  registerOutboxMetrics,
} from "./outbox/metrics";
export type { RecordEvent } from "./outbox/record";
export { type BatchResult, OutboxRelay, type OutboxRelayOptions } from "./outbox/relay";
export { type OutboxRow, toRegistryEvent } from "./outbox/rows";
export { openPostgres, type PostgresOptions } from "./postgres";
export type { Db } from "./sql";
export { PrismaMetadataStore } from "./store";
