import type { S3Client } from "@aws-sdk/client-s3";

/** SigV4's marker for a request whose body is not part of its signature. */
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** The commands that carry blob bytes (and the small upload state objects). */
const UNHASHED_COMMANDS = new Set(["PutObjectCommand", "UploadPartCommand"]);

/**
 * Has the client sign PutObject and UploadPart requests without hashing their
 * bodies: SigV4 otherwise computes a SHA-256 of every part (measured at ~2.8
 * CPU-s per GiB pushed in the blob service, more than our own digest) only to
 * put it in the signature.
 * The request itself (method, key, upload id, part number, length, date) stays
 * signed, so the store still accepts it only from holders of the secret.
 *
 * What the body hash would add is tamper evidence for bytes on the way to
 * the store, and it adds little here:
 * - accidental damage in transit is TCP's (and TLS's, over https) to catch,
 *   as it is for every byte read back, whose responses SigV4 never covers;
 * - someone able to rewrite traffic to the store can rewrite what it answers
 *   on reads too, so only https protects blobs from them, with or without;
 * - what the blob service hashes and verifies is the client's bytes, and a
 *   blob is named by its digest: every OCI client checks the digest of what
 *   it pulls, so altered bytes are refused, never taken for the blob.
 * Deployments on untrusted networks should give the store an https endpoint.
 */
export function signWithoutPayloadHash(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const { headers } = args.request as { headers?: Record<string, string> };
      if (UNHASHED_COMMANDS.has(context.commandName ?? "") && headers !== undefined) {
        headers["x-amz-content-sha256"] = UNSIGNED_PAYLOAD;
      }
      return next(args);
    },
    { step: "build", name: "portfolioUnsignedPayload" },
  );
}
