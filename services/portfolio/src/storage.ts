import path from "node:path";
import { FilesystemBlobStorage, S3BlobStorage } from "@portfolio/blobs";
import type { BlobStorage } from "@portfolio/core";
import { ConfigError } from "./config";

/**
 * Opens the storage driver PORTFOLIO_STORAGE names:
 *
 *   filesystem (default)           blobs under PORTFOLIO_DATA_DIR/blobs
 *   s3                             PORTFOLIO_S3_ENDPOINT, PORTFOLIO_S3_BUCKET,
 *                                  PORTFOLIO_S3_ACCESS_KEY_ID, PORTFOLIO_S3_SECRET_ACCESS_KEY
 *                                  (required), PORTFOLIO_S3_REGION, PORTFOLIO_S3_PREFIX,
 *                                  PORTFOLIO_S3_PUBLIC_ENDPOINT (the endpoint that registry
 *                                  clients reach, for redirected pulls; default the endpoint)
 */
export async function openStorage(env: NodeJS.ProcessEnv, dataDir: string): Promise<BlobStorage> {
  const kind = env.PORTFOLIO_STORAGE || "filesystem";
  if (kind === "filesystem") return FilesystemBlobStorage.open(path.join(dataDir, "blobs"));
  if (kind === "s3") return openS3(env);
  throw new ConfigError(`PORTFOLIO_STORAGE must be filesystem or s3, not ${kind}`);
}

function openS3(env: NodeJS.ProcessEnv): BlobStorage {
  return new S3BlobStorage({
    endpoint: required(env, "PORTFOLIO_S3_ENDPOINT"),
    bucket: required(env, "PORTFOLIO_S3_BUCKET"),
    accessKeyId: required(env, "PORTFOLIO_S3_ACCESS_KEY_ID"),
    secretAccessKey: required(env, "PORTFOLIO_S3_SECRET_ACCESS_KEY"),
    region: env.PORTFOLIO_S3_REGION || undefined,
    prefix: env.PORTFOLIO_S3_PREFIX || undefined,
    publicEndpoint: env.PORTFOLIO_S3_PUBLIC_ENDPOINT || undefined,
  });
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required when PORTFOLIO_STORAGE is s3`);
  return value;
}
