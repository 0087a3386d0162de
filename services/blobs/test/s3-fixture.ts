import { randomUUID } from "node:crypto";
import {
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { S3BlobStorage, type S3BlobStorageOptions } from "@portfolio/blobs";

// The SDK must never look for credentials or regions on an instance-metadata address.
process.env.AWS_EC2_METADATA_DISABLED = "true";

/**
 * The S3 server to test against, from PORTFOLIO_TEST_S3_ENDPOINT and friends
 * (`.ci/services/versitygw.sh env PORT` prints them), or undefined when unset.
 */
export function s3FromEnvironment(): Omit<S3BlobStorageOptions, "prefix"> | undefined {
  const endpoint = process.env.PORTFOLIO_TEST_S3_ENDPOINT;
  if (!endpoint) return undefined;
  return {
    endpoint,
    bucket: process.env.PORTFOLIO_TEST_S3_BUCKET ?? "portfolio",
    accessKeyId: process.env.PORTFOLIO_TEST_S3_ACCESS_KEY ?? "portfolio-test",
    secretAccessKey: process.env.PORTFOLIO_TEST_S3_SECRET_KEY ?? "portfolio-test-secret",
  };
}

/**
 * Defines the S3 tests of `define` when an S3 server is configured (see
 * s3FromEnvironment), and one skipped test saying how to run them otherwise.
 */
export function whenS3(
  title: string,
  define: (options: Omit<S3BlobStorageOptions, "prefix">) => void,
): void {
  const options = s3FromEnvironment();
  if (options !== undefined) {
    define(options);
    return;
  }
  describe.skip(`${title} (set PORTFOLIO_TEST_S3_ENDPOINT, see versitygw.sh)`, () => {
    it("needs an S3 server", () => undefined);
  });
}

/** A driver over its own fresh key prefix, and a way to remove all it stored. */
export function s3Fixture(options: Omit<S3BlobStorageOptions, "prefix">) {
  const prefix = `test-${randomUUID()}/`;
  const open = () => new S3BlobStorage({ ...options, prefix });
  return {
    prefix,
    open,
    storage: open(),
    async removeAll() {
      await deletePrefix(options, prefix);
    },
  };
}

/** Every key under `prefix`, for tests that check what the driver left behind. */
export async function keysUnder(
  options: Omit<S3BlobStorageOptions, "prefix">,
  prefix: string,
): Promise<string[]> {
  const client = rawClient(options);
  try {
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: options.bucket, Prefix: prefix }),
    );
    return (listed.Contents ?? []).map(({ Key }) => (Key ?? "").slice(prefix.length));
  } finally {
    client.destroy();
  }
}

/** The keys of multipart uploads still open under `prefix`: each holds parts until aborted. */
export async function multipartUploadsUnder(
  options: Omit<S3BlobStorageOptions, "prefix">,
  prefix: string,
): Promise<string[]> {
  const client = rawClient(options);
  try {
    const listed = await client.send(
      new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix: prefix }),
    );
    return (listed.Uploads ?? []).map(({ Key }) => (Key ?? "").slice(prefix.length));
  } finally {
    client.destroy();
  }
}

async function deletePrefix(options: Omit<S3BlobStorageOptions, "prefix">, prefix: string) {
  const client = rawClient(options);
  try {
    for (const key of await keysUnder(options, prefix)) {
      await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: prefix + key }));
    }
  } finally {
    client.destroy();
  }
}

function rawClient(options: Omit<S3BlobStorageOptions, "prefix">): S3Client {
  return new S3Client({
    endpoint: options.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}
