import { Readable } from "node:stream";
import { Pool, request } from "undici";

/** The blob push and pull calls of the OCI Distribution API, for one registry. */
export class OciClient {
  private readonly pool: Pool;
  /** Whether POST ?digest= with a body stores the blob in one request (the spec's MAY). */
  singlePost = false;

  constructor(readonly base: string) {
    this.pool = new Pool(base, { connections: 16, headersTimeout: 600_000, bodyTimeout: 600_000 });
  }

  /**
   * Finds out whether the registry takes a monolithic POST, with an empty
   * blob so that a registry that ignores the body has none to skip.
   */
  async probeSinglePost(repository: string): Promise<void> {
    const empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const path = `/v2/${repository}/blobs/uploads/?digest=${empty}`;
    const answer = await this.pool.request({
      method: "POST",
      path,
      headers: { "content-length": "0", "content-type": "application/octet-stream" },
    });
    await answer.body.dump();
    this.singlePost = answer.statusCode === 201;
  }

  /**
   * A monolithic push: one POST carrying the blob where the registry takes
   * it, else POST then PUT ?digest= with the blob (the flow every registry has).
   */
  async pushWhole(repository: string, digest: string, bytes: Buffer): Promise<void> {
    const headers = {
      "content-length": String(bytes.length),
      "content-type": "application/octet-stream",
    };
    if (this.singlePost) {
      const path = `/v2/${repository}/blobs/uploads/?digest=${digest}`;
      await this.expect(201, { method: "POST", path, headers, body: bytes });
      return;
    }
    const location = await this.startUpload(repository);
    await this.expect(201, {
      method: "PUT",
      path: withDigest(location, digest),
      headers,
      body: bytes,
    });
  }

  /**
   * How docker and containerd push a large layer: POST a session, one PATCH
   * streaming the whole layer with chunked encoding (no length known up
   * front), then an empty PUT ?digest=.
   */
  async pushStreamed(
    repository: string,
    digest: string,
    body: AsyncIterable<Buffer>,
  ): Promise<void> {
    const session = await this.startUpload(repository);
    const headers = { "content-type": "application/octet-stream" };
    const patched = await this.expect(202, {
      method: "PATCH",
      path: session,
      headers,
      body: Readable.from(body, { objectMode: false }),
    });
    const location = this.pathOf(header(patched, "location") ?? session);
    await this.expect(201, {
      method: "PUT",
      path: withDigest(location, digest),
      headers: { "content-length": "0" },
    });
  }

  /**
   * GETs a blob, consuming it, and answers the number of bytes received. A
   * redirect (to presigned storage) is followed, as clients do.
   */
  async pull(repository: string, digest: string): Promise<number> {
    let answer = await this.pool.request({
      method: "GET",
      path: `/v2/${repository}/blobs/${digest}`,
    });
    const location = header(answer, "location");
    if (answer.statusCode >= 300 && answer.statusCode < 400 && location !== undefined) {
      await answer.body.dump();
      answer = await request(new URL(location, this.base), { bodyTimeout: 600_000 });
    }
    if (answer.statusCode !== 200) {
      const text = await answer.body.text();
      throw new Error(`GET blob: ${answer.statusCode} ${text.slice(0, 300)}`);
    }
    let bytes = 0;
    for await (const chunk of answer.body as AsyncIterable<Buffer>) bytes += chunk.length;
    return bytes;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async startUpload(repository: string): Promise<string> {
    const answer = await this.expect(202, {
      method: "POST",
      path: `/v2/${repository}/blobs/uploads/`,
      headers: { "content-length": "0" },
    });
    const location = header(answer, "location");
    if (location === undefined) throw new Error("POST upload: no Location");
    return this.pathOf(location);
  }

  /** Locations may be absolute or relative, and may carry state in their query. */
  private pathOf(location: string): string {
    const url = new URL(location, this.base);
    return `${url.pathname}${url.search}`;
  }

  private async expect(status: number, options: Parameters<Pool["request"]>[0]) {
    const answer = await this.pool.request(options);
    const text = await answer.body.text();
    if (answer.statusCode !== status) {
      throw new Error(
        `${options.method} ${options.path}: ${answer.statusCode} ${text.slice(0, 300)}`,
      );
    }
    return answer;
  }
}

type Answer = Awaited<ReturnType<Pool["request"]>>;

function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function withDigest(path: string, digest: string): string {
  const url = new URL(path, "http://x");
  url.searchParams.set("digest", digest);
  return `${url.pathname}${url.search}`;
}
