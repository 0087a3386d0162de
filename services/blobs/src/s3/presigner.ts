import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** SigV4 query signatures are valid for at most 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

/**
 * Signs GetObject URLs locally (no request is sent). The client it signs with
 * must carry the endpoint that the URL's users reach, which for registry
 * clients may differ from the one this process uses (a cluster-internal name,
 * say): the host is part of the signature, so it cannot be rewritten afterwards.
 */
export class Presigner {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async getUrl(key: string, expiresInSeconds: number): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) {
      throw new TypeError(`expiry must be a positive whole number of seconds`);
    }
    if (expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new TypeError(`expiry must be at most ${MAX_PRESIGN_SECONDS} seconds`);
    }
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }
}
