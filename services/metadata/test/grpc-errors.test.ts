import { status } from "@grpc/grpc-js";
import {
  BackendUnavailableError,
  BlobUnknownError,
  DigestMismatchError,
  type DomainError,
  ManifestInvalidError,
  ManifestReferencesUnknownError,
  ManifestUnknownError,
  RepositoryUnknownError,
  SizeMismatchError,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";
import { metadataV1 } from "@portfolio/proto";
import { failedCall, recordingLogger, serveOverGrpc, storeThat } from "./grpc-support";
import { sha256 } from "./helpers";

/** Every domain error kind, with fields that differ from any default. */
const DOMAIN_ERRORS: [string, DomainError][] = [
  ["blob-unknown", new BlobUnknownError(sha256("blob"))],
  ["upload-unknown", new UploadUnknownError("6f1c0b4e-8d2a-4f4e-9a51-1f1d2c3b4a59")],
  ["upload-offset", new UploadOffsetError(1024, 512)],
  ["digest-mismatch", new DigestMismatchError(sha256("expected"), sha256("actual"))],
  ["size-mismatch", new SizeMismatchError(2 ** 40, 7)],
  ["manifest-unknown", new ManifestUnknownError("v1.0")],
  [
    "manifest-references-unknown",
    new ManifestReferencesUnknownError([sha256("layer"), sha256("child")]),
  ],
  ["repository-unknown", new RepositoryUnknownError("library/absent")],
  ["backend-unavailable", new BackendUnavailableError("postgres")],
  ["manifest-invalid", new ManifestInvalidError("layers must be an array")],
];

describe("domain errors across the gRPC boundary", () => {
  test.each(DOMAIN_ERRORS)("%s comes back as the same error", async (_kind, thrown) => {
    const grpc = await serveOverGrpc(storeThat(() => Promise.reject(thrown)));

    const calling = grpc.client.findBlob("library/any", sha256("any"));

    await expect(calling).rejects.toBeInstanceOf(thrown.constructor);
    await expect(calling).rejects.toEqual(thrown);
    await expect(calling).rejects.toMatchObject({ ...thrown, message: thrown.message });
    await grpc.close();
  });

  test("unknown references travel as FAILED_PRECONDITION with a typed detail", async () => {
    const digests = [sha256("config"), sha256("layer")];
    const thrown = new ManifestReferencesUnknownError(digests);
    const grpc = await serveOverGrpc(storeThat(() => Promise.reject(thrown)));

    const error = await failedCall(grpc.server.address, "putManifest", manifest());

    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.metadata.get("portfolio-domain-error-kind")).toEqual([
      "manifest-references-unknown",
    ]);
    const [detail] = error.metadata.get("portfolio-domain-error-bin");
    expect(metadataV1.DomainError.decode(detail as Buffer).error).toEqual({
      $case: "manifestReferencesUnknown",
      manifestReferencesUnknown: { digests },
    });
    await grpc.close();
  });

  test.each([
    ["blob-unknown", status.NOT_FOUND, new BlobUnknownError(sha256("gone"))],
    ["upload-offset", status.OUT_OF_RANGE, new UploadOffsetError(10, 0)],
    ["digest-mismatch", status.INVALID_ARGUMENT, new DigestMismatchError(sha256("a"), sha256("b"))],
    ["backend-unavailable", status.UNAVAILABLE, new BackendUnavailableError("postgres")],
  ])("%s travels with status %i", async (_kind, code, thrown) => {
    const grpc = await serveOverGrpc(storeThat(() => Promise.reject(thrown)));

    const error = await failedCall(grpc.server.address, "ping", {});

    expect(error.code).toBe(code);
    expect(error.details).toBe(thrown.message);
    await grpc.close();
  });

  test("a request without a field its method needs is INVALID_ARGUMENT", async () => {
    const grpc = await serveOverGrpc(storeThat(() => Promise.resolve(undefined)));

    const error = await failedCall(grpc.server.address, "commitBlob", { repository: "library/a" });

    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe("blob is required");
    await grpc.close();
  });

  test("an unexpected failure is INTERNAL; its message stays on the server, logged", async () => {
    const { logger, lines } = recordingLogger();
    const secret = new Error("connection string postgres://user:pw@db/x in a stack");
    const grpc = await serveOverGrpc(
      storeThat(() => Promise.reject(secret)),
      { logger },
    );

    const caught = await grpc.client.listRepositories({}).catch((error: Error) => error);

    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(BackendUnavailableError);
    expect(caught.message).not.toContain("postgres://");
    expect(statusOfCause(caught)).toBe(status.INTERNAL);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        method: "ListRepositories",
        msg: "metadata call failed",
      }),
    );
    await grpc.close();
  });

  test("a refusal is logged at info with its status code", async () => {
    const { logger, lines } = recordingLogger();
    const grpc = await serveOverGrpc(
      storeThat(() => Promise.reject(new ManifestUnknownError("latest"))),
      { logger },
    );

    await expect(grpc.client.deleteTag("library/any", "latest")).rejects.toThrow();

    expect(lines).toContainEqual(
      expect.objectContaining({ level: 30, method: "DeleteTag", code: status.NOT_FOUND }),
    );
    await grpc.close();
  });
});

function manifest() {
  const payload = Buffer.from("{}");
  return {
    repository: "library/any",
    digest: sha256(payload),
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    payload,
    blobs: [],
    children: [],
  };
}

function statusOfCause(error: Error): number | undefined {
  return (error.cause as { code?: number } | undefined)?.code;
}
