export { type ApplyOutcome, applyOnce, type EventConsumer } from "./consumer";
export {
  type Candidate,
  type CandidateKind,
  DEFAULT_GC_REVIEW_DELAY_MS,
  enqueueCandidates,
  GcFeed,
} from "./gc-feed";
export { InProcessEventPublisher } from "./in-process";
export {
  consumerGroupOf,
  createKafkaEventLoop,
  type KafkaConsumerClient,
  type KafkaConsumerSettings,
  KafkaEventLoop,
  type KafkaEventLoopOptions,
} from "./kafka";
export { eventFromMessage, MalformedEventError } from "./kafka-message";
export {
  type ConsumerMetrics,
  type ConsumerMetricsOptions,
  type ConsumerOutcome,
  consumerLag,
  type KafkaAdminClient,
  type PartitionLag,
  registerConsumerMetrics,
} from "./metrics";
export { ReferrersIndexer } from "./referrers-indexer";
export { subjectOfReferrersTag } from "./tag-schema";
