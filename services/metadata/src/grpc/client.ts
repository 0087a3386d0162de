import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials,
  Metadata,
} from "@grpc/grpc-js";
import type {
  BlobRecord,
  Descriptor,
  ManifestPut,
  ManifestRecord,
  ManifestReference,
  MetadataStore,
  Page,
  UploadSession,
} from "@portfolio/core";
import { metadataV1 } from "@portfolio/proto";
import { fromServiceError } from "./client-errors";
import {
  blobMessage,
  blobRecord,
  descriptor,
  manifestRecord,
  pageMessage,
  putManifestRequest,
  referenceMessage,
  required,
  uploadSession,
} from "./messages";
import { messageSizeOptions, REQUEST_ID_KEY } from "./transport";

export interface GrpcMetadataStoreOptions {
  /** How long one call may take before it fails as unavailable; 10 s unless set. */
  deadlineMs?: number;
  /**
   * The request id of the work in progress (say, from an AsyncLocalStorage
   * the gateway fills), sent as `x-request-id` so the service logs it too.
   */
  requestId?: () => string | undefined;
  /** Plaintext unless set. */
  credentials?: ChannelCredentials;
  /** The largest message accepted or sent; 16 MiB unless set, as on the server. */
  maxMessageBytes?: number;
  /** The wait before reconnecting to a lost service; DEFAULT_RECONNECT_BACKOFF_MS unless set. */
  reconnectBackoffMs?: { initial: number; max: number };
}

export const DEFAULT_DEADLINE_MS = 10_000;

/**
 * After losing the service, grpc-js waits 1 s before reconnecting and 1.6
 * times longer after each failed attempt, up to 120 s. Meanwhile the channel
 * is in TRANSIENT_FAILURE, where calls fail at once as unavailable without
 * trying to connect; so after a metadata outage of a few minutes a gateway
 * would go on failing every request for up to two minutes once the service
 * is back. A 5 s ceiling bounds that, at the price of one connection attempt
 * per gateway every 5 s while the service is down.
 */
export const DEFAULT_RECONNECT_BACKOFF_MS = { initial: 1_000, max: 5_000 };

type Methods = typeof metadataV1.MetadataServiceService;
type Method = keyof Methods;
type RequestOf<M extends Method> = Parameters<Methods[M]["requestSerialize"]>[0];
type ResponseOf<M extends Method> = ReturnType<Methods[M]["responseDeserialize"]>;

/**
 * The MetadataStore of a metadata service in another process, over gRPC. It
 * throws the same domain errors as the store behind the server (rebuilt by
 * `fromServiceError`), and BackendUnavailableError("metadata") when the
 * service does not answer within the deadline. The channel connects lazily
 * and reconnects by itself; `close()` closes it, not the remote store.
 */
export class GrpcMetadataStore implements MetadataStore {
  private readonly client: Client;
  private readonly deadlineMs: number;

  /** `address` is host:port of a metadata service (`portfolio metadata`). */
  constructor(
    address: string,
    private readonly options: GrpcMetadataStoreOptions = {},
  ) {
    const channelCredentials = options.credentials ?? credentials.createInsecure();
    this.client = new Client(address, channelCredentials, channelOptions(options));
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  async findBlob(repository: string, digest: string): Promise<BlobRecord | undefined> {
    const { blob } = await this.call("findBlob", { repository, digest });
    return blob && blobRecord(blob);
  }

  async findAnyBlob(digest: string): Promise<BlobRecord | undefined> {
    const { blob } = await this.call("findAnyBlob", { digest });
    return blob && blobRecord(blob);
  }

  async commitBlob(repository: string, blob: BlobRecord): Promise<BlobRecord> {
    const response = await this.call("commitBlob", { repository, blob: blobMessage(blob) });
    return blobRecord(required(response.blob, "blob"));
  }

  async mountBlob(
    repository: string,
    digest: string,
    from?: string,
  ): Promise<BlobRecord | undefined> {
    const { blob } = await this.call("mountBlob", { repository, digest, from });
    return blob && blobRecord(blob);
  }

  async unlinkBlob(repository: string, digest: string): Promise<boolean> {
    return (await this.call("unlinkBlob", { repository, digest })).unlinked;
  }

  async createUpload(repository: string, expiresAt: Date): Promise<UploadSession> {
    const { upload } = await this.call("createUpload", { repository, expiresAt });
    return uploadSession(required(upload, "upload"));
  }

  async findUpload(repository: string, id: string): Promise<UploadSession | undefined> {
    const { upload } = await this.call("findUpload", { repository, id });
    return upload && uploadSession(upload);
  }

  async deleteUpload(repository: string, id: string): Promise<boolean> {
    return (await this.call("deleteUpload", { repository, id })).deleted;
  }

  async putManifest(put: ManifestPut): Promise<void> {
    await this.call("putManifest", putManifestRequest(put));
  }

  async findManifest(
    repository: string,
    reference: ManifestReference,
  ): Promise<ManifestRecord | undefined> {
    const request = { repository, reference: referenceMessage(reference) };
    const { manifest } = await this.call("findManifest", request);
    return manifest && manifestRecord(manifest);
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    return (await this.call("deleteManifest", { repository, digest })).deleted;
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return (await this.call("deleteTag", { repository, tag })).deleted;
  }

  async listTags(repository: string, page: Page): Promise<string[] | undefined> {
    const response = await this.call("listTags", { repository, page: pageMessage(page) });
    return response.repositoryUnknown ? undefined : response.tags;
  }

  async listRepositories(page: Page): Promise<string[]> {
    return (await this.call("listRepositories", { page: pageMessage(page) })).repositories;
  }

  async listReferrers(
    repository: string,
    subject: string,
    artifactType?: string,
  ): Promise<Descriptor[]> {
    const request = { repository, subject, artifactType };
    return (await this.call("listReferrers", request)).referrers.map(descriptor);
  }

  async ping(): Promise<void> {
    await this.call("ping", {});
  }

  async close(): Promise<void> {
    this.client.close();
  }

  /** One unary call with its deadline and request id; failures leave as domain errors. */
  private call<M extends Method>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    const definition = metadataV1.MetadataServiceService[method];
    const serialize = definition.requestSerialize as (value: RequestOf<M>) => Buffer;
    const deserialize = definition.responseDeserialize as (value: Buffer) => ResponseOf<M>;
    const deadline = Date.now() + this.deadlineMs;

    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        serialize,
        deserialize,
        request,
        this.callMetadata(),
        { deadline },
        (error, response) => {
          if (error) reject(fromServiceError(error, definition.path));
          else resolve(response!);
        },
      );
    });
  }

  private callMetadata(): Metadata {
    const metadata = new Metadata();
    const requestId = this.options.requestId?.();
    if (requestId) metadata.set(REQUEST_ID_KEY, requestId);
    return metadata;
  }
}

function channelOptions(options: GrpcMetadataStoreOptions): ChannelOptions {
  const backoff = options.reconnectBackoffMs ?? DEFAULT_RECONNECT_BACKOFF_MS;
  return {
    ...messageSizeOptions(options.maxMessageBytes),
    "grpc.initial_reconnect_backoff_ms": backoff.initial,
    "grpc.max_reconnect_backoff_ms": backoff.max,
  };
}
