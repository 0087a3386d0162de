import { HttpBlobStorage } from "@portfolio/blobs";
import type { PresignOptions } from "@portfolio/core";
import { buildGateway, currentRequestId } from "@portfolio/gateway";
import { GrpcMetadataStore, withGrpcClientMetrics } from "@portfolio/metadata";
import { accessControlFor } from "../auth-config";
import { ConfigError, loadConfig } from "../config";
import { directReadOutcomes } from "../direct-read-outcomes";
import { flag } from "../env";
import { runUntilSignalled } from "../lifecycle";
import { createLogger } from "../logger";
import { processMetrics } from "../process-metrics";

/**
 * `portfolio gateway`: the OCI Distribution API alone, stateless, talking to
 * the metadata service over gRPC and to the blob service over HTTP streams.
 * Run as many as the traffic needs. `/metrics` on the same port.
 *
 *   PORTFOLIO_HOST, PORTFOLIO_PORT  where to listen, as for `portfolio serve`
 *   PORTFOLIO_METADATA_ADDRESS      the metadata service's gRPC host:port, default 127.0.0.1:5001
 *   PORTFOLIO_BLOBS_URL             the blob service's URL, default http://127.0.0.1:5002
 *   PORTFOLIO_BLOB_DIRECT_READS     true (default) or false: read blobs for pulls straight
 *                                   from S3 through presigned URLs, not through the blob
 *                                   service; falls back to the service when S3 refuses or
 *                                   cannot be reached
 *   PORTFOLIO_LOG_LEVEL, the limits and access control of `portfolio serve`; with
 *   access control, PORTFOLIO_AUTH_TOKEN_KEY_FILE too, the same for every replica
 */
export async function gateway(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel).child({ role: "gateway" });
  const access = await accessControlFor(config.auth);
  const metrics = processMetrics();
  const metadata = withGrpcClientMetrics(
    new GrpcMetadataStore(env.PORTFOLIO_METADATA_ADDRESS || "127.0.0.1:5001", {
      requestId: currentRequestId,
    }),
    metrics,
  );
  const storage = new HttpBlobStorage({
    url: blobsUrl(env.PORTFOLIO_BLOBS_URL || "http://127.0.0.1:5002"),
    requestId: currentRequestId,
    directReads: flag(env, "PORTFOLIO_BLOB_DIRECT_READS", true)
      ? { onOutcome: directReadOutcomes(logger, metrics) }
      : undefined,
    presignOnStore: redirectUrls(config.limits.blobRedirectSeconds),
  });
  const app = buildGateway({
    backends: { metadata, storage },
    limits: config.limits,
    logger,
    metrics,
    access,
    trustProxy: config.trustProxy,
  });

  await app.listen({ host: config.host, port: config.port }).catch(async (error: unknown) => {
    await Promise.all([metadata.close(), storage.close()]);
    throw error;
  });
  const accessControl = access ? "on" : "off: anyone who reaches it may push and delete";
  logger.info({ addresses: app.addresses(), accessControl }, "gateway listening");

  runUntilSignalled(logger, async () => {
    await app.close();
    await Promise.all([metadata.close(), storage.close()]);
  });
}

/** The URLs a redirecting gateway hands out, asked for with every blob it stores. */
function redirectUrls(expiresInSeconds: number | undefined): PresignOptions[] {
  return expiresInSeconds === undefined ? [] : [{ expiresInSeconds, audience: "clients" }];
}

function blobsUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigError(`PORTFOLIO_BLOBS_URL must be an http(s) URL, not ${value}`);
  }
  return value;
}
