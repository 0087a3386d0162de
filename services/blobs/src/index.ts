export {
  FilesystemBlobStorage,
  type FilesystemBlobStorageOptions,
} from "./filesystem/filesystem-blob-storage";
export { HttpBlobStorage, type HttpBlobStorageOptions } from "./http/client";
export type {
  DirectReadFallback,
  DirectReadOutcome,
  DirectReadsOptions,
} from "./http/direct-reads";
export { BlobServer, type BlobServerOptions } from "./http/server";
export { S3BlobStorage, type S3BlobStorageOptions } from "./s3/s3-blob-storage";
