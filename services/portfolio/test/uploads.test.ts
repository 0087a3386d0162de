import { request as httpRequest } from "node:http";
import { digestOf } from "@portfolio/core";
import {
  errorCode,
  pushBlob,
  randomBytes,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(() => registry.close());

async function startUpload(repository: string): Promise<string> {
  const response = await registry.request(`/v2/${repository}/blobs/uploads/`, { method: "POST" });
  expect(response.status).toBe(202);
  const location = response.headers.get("location");
  expect(location).toMatch(new RegExp(`^/v2/${repository}/blobs/uploads/[0-9a-f-]{36}$`));
  return location!;
}

function patch(location: string, bytes: Buffer, range?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (range) headers["content-range"] = range;
  return registry.request(location, { method: "PATCH", body: bytes, headers });
}

/** A body sent with Transfer-Encoding: chunked, as streaming clients do. */
function chunked(bytes: Buffer): RequestInit {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.subarray(0, bytes.length >> 1));
      controller.enqueue(bytes.subarray(bytes.length >> 1));
      controller.close();
    },
  });
  return { body, duplex: "half" } as RequestInit;
}

describe("monolithic uploads", () => {
  it("stores a blob from one POST with its digest, answering 201 with its location", async () => {
    const bytes = randomBytes(512);
    const digest = digestOf(bytes);
    const response = await registry.request(`/v2/up/mono/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      body: bytes,
    });

    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(`/v2/up/mono/blobs/${digest}`);
    expect(response.headers.get("docker-content-digest")).toBe(digest);
  });

  it("stores a blob from POST then PUT with the body", async () => {
    const bytes = randomBytes(300);
    const location = await startUpload("up/postput");
    const put = await registry.request(`${location}?digest=${digestOf(bytes)}`, {
      method: "PUT",
      body: bytes,
    });
    expect(put.status).toBe(201);

    const get = await registry.request(put.headers.get("location")!);
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("accepts sha512 digests", async () => {
    const bytes = randomBytes(100);
    const digest = digestOf(bytes, "sha512");
    const response = await registry.request(`/v2/up/sha512/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      body: bytes,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("docker-content-digest")).toBe(digest);
  });

  it("refuses content that does not match the digest and stores nothing", async () => {
    const digest = digestOf(Buffer.from("what the client claims"));
    const response = await registry.request(`/v2/up/mismatch/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      body: Buffer.from("what the client sent"),
    });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("DIGEST_INVALID");

    const head = await registry.request(`/v2/up/mismatch/blobs/${digest}`, { method: "HEAD" });
    expect(head.status).toBe(404);
    const catalog = await registry.request("/v2/_catalog");
    expect(((await catalog.json()) as { repositories: string[] }).repositories).not.toContain(
      "up/mismatch",
    );
  });

  it("stores the empty blob", async () => {
    const digest = await pushBlob(registry, "up/empty", Buffer.alloc(0));
    const head = await registry.request(`/v2/up/empty/blobs/${digest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("0");
  });
});

describe("chunked uploads", () => {
  it("advertises no minimum chunk length on the filesystem, which takes any size", async () => {
    const response = await registry.request("/v2/up/min/blobs/uploads/", { method: "POST" });
    expect(response.status).toBe(202);
    expect(response.headers.get("oci-chunk-min-length")).toBeNull();
  });

  it("takes chunks in order, reports progress, refuses out-of-order ones with 416", async () => {
    const bytes = randomBytes(3067);
    const location = await startUpload("up/chunked");

    const early = await patch(location, bytes.subarray(1024, 2048), "1024-2047");
    expect(early.status).toBe(416);
    expect(early.headers.get("range")).toBe("0-0");

    const first = await patch(location, bytes.subarray(0, 1024), "0-1023");
    expect(first.status).toBe(202);
    expect(first.headers.get("range")).toBe("0-1023");
    expect(first.headers.get("location")).toBe(location);

    const repeated = await patch(location, bytes.subarray(0, 1024), "0-1023");
    expect(repeated.status).toBe(416);

    const status = await registry.request(location);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-1023");

    expect((await patch(location, bytes.subarray(1024, 2048), "1024-2047")).status).toBe(202);
    const put = await registry.request(`${location}?digest=${digestOf(bytes)}`, {
      method: "PUT",
      body: bytes.subarray(2048),
      headers: { "content-range": "2048-3066" },
    });
    expect(put.status).toBe(201);

    const get = await registry.request(put.headers.get("location")!);
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("reads a refused large chunk to its end, so a client still sending gets the 416", async () => {
    const location = await startUpload("up/large-early");
    const chunk = randomBytes(8 * 1024 * 1024);
    const url = new URL(location, registry.url);

    // node:http, unlike fetch, shows whether the server kept the connection.
    const answer = await new Promise<{ status?: number; connection?: string }>(
      (resolve, reject) => {
        const sent = httpRequest(url, {
          method: "PATCH",
          headers: {
            "content-range": `1024-${1024 + chunk.length - 1}`,
            "content-length": chunk.length,
          },
        });
        sent.on("response", (response) => {
          response.resume();
          resolve({ status: response.statusCode, connection: response.headers.connection });
        });
        sent.on("error", reject);
        sent.end(chunk);
      },
    );
    expect(answer).toEqual({ status: 416, connection: "keep-alive" });
  });

  it("takes a streamed chunk without Content-Range or Content-Length", async () => {
    const bytes = randomBytes(100_000);
    const location = await startUpload("up/stream");

    const streamed = await registry.request(location, { method: "PATCH", ...chunked(bytes) });
    expect(streamed.status).toBe(202);
    expect(streamed.headers.get("range")).toBe("0-99999");

    const put = await registry.request(`${location}?digest=${digestOf(bytes)}`, { method: "PUT" });
    expect(put.status).toBe(201);
  });

  it("refuses a malformed Content-Range and a length that contradicts it", async () => {
    const location = await startUpload("up/badrange");

    const malformed = await patch(location, Buffer.from("abc"), "bytes=x");
    expect(malformed.status).toBe(400);
    expect(await errorCode(malformed)).toBe("BLOB_UPLOAD_INVALID");

    const contradicting = await patch(location, Buffer.from("abc"), "0-9");
    expect(contradicting.status).toBe(400);
    expect(await errorCode(contradicting)).toBe("SIZE_INVALID");

    const status = await registry.request(location);
    expect(status.headers.get("range")).toBe("0-0");
  });

  it("leaves the upload open after a wrong digest so the client can finish it", async () => {
    const bytes = randomBytes(50);
    const location = await startUpload("up/retry");
    expect((await patch(location, bytes, "0-49")).status).toBe(202);

    const wrong = await registry.request(`${location}?digest=${digestOf(Buffer.from("x"))}`, {
      method: "PUT",
    });
    expect(wrong.status).toBe(400);
    expect(await errorCode(wrong)).toBe("DIGEST_INVALID");

    const right = await registry.request(`${location}?digest=${digestOf(bytes)}`, {
      method: "PUT",
    });
    expect(right.status).toBe(201);
  });

  it("cancels an upload with DELETE, after which the session is unknown", async () => {
    const location = await startUpload("up/cancel");
    expect((await registry.request(location, { method: "DELETE" })).status).toBe(204);

    const status = await registry.request(location);
    expect(status.status).toBe(404);
    expect(await errorCode(status)).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("answers unknown and malformed upload ids with BLOB_UPLOAD_UNKNOWN", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const response = await registry.request(`/v2/up/unknown/blobs/uploads/${id}`);
      expect(response.status).toBe(404);
      expect(await errorCode(response)).toBe("BLOB_UPLOAD_UNKNOWN");
    }
  });

  it("does not let one repository use another's upload session", async () => {
    const location = await startUpload("up/mine");
    const stolen = location.replace("up/mine", "up/theirs");
    expect((await registry.request(stolen)).status).toBe(404);
  });

  it("requires a valid digest to complete", async () => {
    const location = await startUpload("up/nodigest");
    const response = await registry.request(location, { method: "PUT" });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("DIGEST_INVALID");
  });
});

describe("cross-repository mounts", () => {
  it("mounts a blob from a repository that has it with 201", async () => {
    const bytes = randomBytes(77);
    const digest = await pushBlob(registry, "mount/source", bytes);

    const mount = await registry.request(
      `/v2/mount/target/blobs/uploads/?mount=${digest}&from=mount/source`,
      { method: "POST" },
    );
    expect(mount.status).toBe(201);
    expect(mount.headers.get("location")).toBe(`/v2/mount/target/blobs/${digest}`);

    const get = await registry.request(`/v2/mount/target/blobs/${digest}`);
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("falls back to a normal upload with 202 when the source does not have the blob", async () => {
    const digest = await pushBlob(registry, "mount/other", randomBytes(5));

    for (const query of [
      `mount=${digestOf(Buffer.from("nowhere"))}&from=mount/other`,
      `mount=${digest}&from=mount/empty`,
      `mount=${digest}&from=NOT VALID`,
    ]) {
      const response = await registry.request(`/v2/mount/fallback/blobs/uploads/?${query}`, {
        method: "POST",
      });
      expect(response.status).toBe(202);
      expect(response.headers.get("location")).toMatch(/^\/v2\/mount\/fallback\/blobs\/uploads\//);
    }
  });

  it("mounts without from when the registry holds the blob", async () => {
    const digest = await pushBlob(registry, "mount/anywhere", randomBytes(9));
    const mount = await registry.request(`/v2/mount/anon/blobs/uploads/?mount=${digest}`, {
      method: "POST",
    });
    expect(mount.status).toBe(201);
  });
});
