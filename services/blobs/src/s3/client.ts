import { S3Client } from "@aws-sdk/client-s3";
import { signWithoutPayloadHash } from "./unsigned-payload";

export interface S3ConnectionOptions {
  /** The server's URL, always given: the driver never falls back to AWS's own endpoints. */
  endpoint: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Bucket in the path (`/bucket/key`) rather than the host name; default true. */
  forcePathStyle?: boolean;
  /**
   * Whether the SDK adds CRC checksums to every request and checks them on
   * every response ("WHEN_SUPPORTED", the SDK's default) or only where the S3
   * API requires them ("WHEN_REQUIRED", the default here). S3-compatible
   * servers differ in how well they handle the streaming checksum trailers.
   */
  checksums?: "WHEN_REQUIRED" | "WHEN_SUPPORTED";
}

/**
 * An S3 client with explicit credentials and endpoint, so the SDK never
 * consults its credential chain (files, instance metadata) or real AWS.
 * Bodies it puts are not hashed for their signatures (see unsigned-payload.ts).
 */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  const checksums = options.checksums ?? "WHEN_REQUIRED";
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region ?? "us-east-1",
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    forcePathStyle: options.forcePathStyle ?? true,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
  });
  signWithoutPayloadHash(client);
  return client;
}
