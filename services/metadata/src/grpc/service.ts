import type { handleUnaryCall, Metadata } from "@grpc/grpc-js";
import { type MetadataStore, withRequestId } from "@portfolio/core";
import type { metadataV1 } from "@portfolio/proto";
import type { Logger } from "pino";
import {
  blobMessage,
  blobRecord,
  descriptorMessage,
  manifestMessage,
  manifestPut,
  manifestReference,
  page,
  required,
  uploadMessage,
} from "./messages";
import { toCallFailure } from "./server-errors";
import { REQUEST_ID_KEY } from "./transport";

/**
 * The MetadataService over any MetadataStore: each method decodes its request
 * into the store's arguments and encodes what the store answers. Failures go
 * through `toCallFailure`, the server's one translation of errors.
 */
export function metadataService(
  store: MetadataStore,
  logger: Logger,
): metadataV1.MetadataServiceServer {
  const unary = handlerFactory(logger);
  return {
    ...blobHandlers(store, unary),
    ...uploadHandlers(store, unary),
    ...manifestHandlers(store, unary),
    ...listingHandlers(store, unary),
    ping: unary("Ping", async () => {
      await store.ping();
      return {};
    }),
  };
}

type Unary = ReturnType<typeof handlerFactory>;

function blobHandlers(store: MetadataStore, unary: Unary) {
  return {
    findBlob: unary("FindBlob", async (request: metadataV1.FindBlobRequest) => ({
      blob: optional(await store.findBlob(request.repository, request.digest), blobMessage),
    })),
    findAnyBlob: unary("FindAnyBlob", async (request: metadataV1.FindAnyBlobRequest) => ({
      blob: optional(await store.findAnyBlob(request.digest), blobMessage),
    })),
    commitBlob: unary("CommitBlob", async (request: metadataV1.CommitBlobRequest) => {
      const blob = blobRecord(required(request.blob, "blob"));
      return { blob: blobMessage(await store.commitBlob(request.repository, blob)) };
    }),
    mountBlob: unary("MountBlob", async (request: metadataV1.MountBlobRequest) => {
      const { repository, digest, from } = request;
      return { blob: optional(await store.mountBlob(repository, digest, from), blobMessage) };
    }),
    unlinkBlob: unary("UnlinkBlob", async (request: metadataV1.UnlinkBlobRequest) => ({
      unlinked: await store.unlinkBlob(request.repository, request.digest),
    })),
  };
}

function uploadHandlers(store: MetadataStore, unary: Unary) {
  return {
    createUpload: unary("CreateUpload", async (request: metadataV1.CreateUploadRequest) => {
      const expiresAt = required(request.expiresAt, "expiresAt");
      return { upload: uploadMessage(await store.createUpload(request.repository, expiresAt)) };
    }),
    findUpload: unary("FindUpload", async (request: metadataV1.FindUploadRequest) => ({
      upload: optional(await store.findUpload(request.repository, request.id), uploadMessage),
    })),
    deleteUpload: unary("DeleteUpload", async (request: metadataV1.DeleteUploadRequest) => ({
      deleted: await store.deleteUpload(request.repository, request.id),
    })),
  };
}

function manifestHandlers(store: MetadataStore, unary: Unary) {
  return {
    putManifest: unary("PutManifest", async (request: metadataV1.PutManifestRequest) => {
      await store.putManifest(manifestPut(request));
      return {};
    }),
    findManifest: unary("FindManifest", async (request: metadataV1.FindManifestRequest) => {
      const reference = manifestReference(request.reference);
      const manifest = await store.findManifest(request.repository, reference);
      return { manifest: optional(manifest, manifestMessage) };
    }),
    deleteManifest: unary("DeleteManifest", async (request: metadataV1.DeleteManifestRequest) => ({
      deleted: await store.deleteManifest(request.repository, request.digest),
    })),
    deleteTag: unary("DeleteTag", async (request: metadataV1.DeleteTagRequest) => ({
      deleted: await store.deleteTag(request.repository, request.tag),
    })),
  };
}

function listingHandlers(store: MetadataStore, unary: Unary) {
  return {
    listTags: unary("ListTags", async (request: metadataV1.ListTagsRequest) => {
      const tags = await store.listTags(request.repository, page(request.page));
      return { repositoryUnknown: tags === undefined, tags: tags ?? [] };
    }),
    listRepositories: unary(
      "ListRepositories",
      async (request: metadataV1.ListRepositoriesRequest) => ({
        repositories: await store.listRepositories(page(request.page)),
      }),
    ),
    listReferrers: unary("ListReferrers", async (request: metadataV1.ListReferrersRequest) => {
      const { repository, subject, artifactType } = request;
      const referrers = await store.listReferrers(repository, subject, artifactType);
      return { referrers: referrers.map(descriptorMessage) };
    }),
  };
}

/**
 * Wraps an async method as a grpc-js unary handler that logs the call with
 * the caller's request id and answers failures through `toCallFailure`. The
 * method runs with that request id bound (withRequestId), so what the store
 * writes, its outbox events included, names the request that caused it.
 */
function handlerFactory(logger: Logger) {
  return <Request, Response>(
    method: string,
    work: (request: Request) => Promise<Response>,
  ): handleUnaryCall<Request, Response> =>
    (call, callback) => {
      const requestId = requestIdOf(call.metadata);
      const log = logger.child({ method, requestId });
      const started = performance.now();
      const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;

      const answer = () =>
        work(call.request).then(
          (response) => {
            log.debug({ durationMs: elapsed() }, "metadata call answered");
            callback(null, response);
          },
          (error: unknown) => {
            const { status, level } = toCallFailure(error);
            log[level](
              { durationMs: elapsed(), code: status.code, err: error },
              "metadata call failed",
            );
            callback(status);
          },
        );
      if (requestId === undefined) void answer();
      else withRequestId(requestId, () => void answer());
    };
}

function requestIdOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get(REQUEST_ID_KEY);
  return typeof value === "string" ? value : undefined;
}

function optional<T, M>(value: T | undefined, toMessage: (value: T) => M): M | undefined {
  return value === undefined ? undefined : toMessage(value);
}
