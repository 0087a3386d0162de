import { ERROR_CODES, OciError } from "@portfolio/core";

describe("the error table", () => {
  it("holds every code of the distribution spec with the status the spec gives", () => {
    const statuses = Object.fromEntries(
      Object.entries(ERROR_CODES).map(([code, entry]) => [code, entry.status]),
    );
    expect(statuses).toEqual({
      BLOB_UNKNOWN: 404,
      BLOB_UPLOAD_INVALID: 400,
      BLOB_UPLOAD_UNKNOWN: 404,
      DIGEST_INVALID: 400,
      MANIFEST_BLOB_UNKNOWN: 400,
      MANIFEST_INVALID: 400,
      MANIFEST_UNKNOWN: 404,
      NAME_INVALID: 400,
      NAME_UNKNOWN: 404,
      SIZE_INVALID: 400,
      UNAUTHORIZED: 401,
      DENIED: 403,
      UNSUPPORTED: 405,
      TOOMANYREQUESTS: 429,
      UNAVAILABLE: 503,
    });
  });

  it("writes the spec's body, with detail only when there is one", () => {
    expect(new OciError("BLOB_UNKNOWN").toBody()).toEqual({
      errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown to registry" }],
    });
    expect(new OciError("DIGEST_INVALID", "bad", { digest: "x" }).toBody()).toEqual({
      errors: [{ code: "DIGEST_INVALID", message: "bad", detail: { digest: "x" } }],
    });
  });

  it("lets a status override the table where the spec asks for another", () => {
    const error = new OciError("BLOB_UPLOAD_INVALID", undefined, undefined, { status: 416 });
    expect(error.status).toBe(416);
  });
});
