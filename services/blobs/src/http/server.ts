import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { BlobStorage } from "@portfolio/core";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { RequestMetrics, type RouteNamer } from "../metrics/request-metrics";
import { KeyedSerializer } from "../streams/keyed-serializer";
import { sendJson } from "./exchange";
import { MINIMUM_CHUNK_LENGTH_HEADER, REQUEST_ID_HEADER } from "./protocol";
import { RequestLog } from "./request-log";
import { findRoute } from "./router";
import { toWireError } from "./wire-errors";

export interface BlobServerOptions {
  /** The driver that holds the bytes; the server uses it and never closes it. */
  storage: BlobStorage;
  logger: Logger;
  /** A connection with no traffic either way for this long is dropped; default 2 minutes. */
  idleTimeoutMs?: number;
  /**
   * Where `/metrics` reads from and the request metrics go; default a fresh
   * registry of this server's own, so servers in one process never collide.
   */
  metrics?: Registry;
}

/**
 * The blob service as its own process: any BlobStorage driver behind a small
 * HTTP/1.1 API (routes in protocol.ts), for HttpBlobStorage to call.
 *
 * Why plain HTTP streams and not gRPC, which the metadata service speaks: a
 * blob is one long byte stream, and gRPC would cut it into messages (4 MiB
 * at most by default) and, as measured here, grpc-js ignores larger
 * flow-control windows, so it crawls where a loopback TCP stream between two
 * Node processes carries 2.0-2.6 GB/s. HTTP gives that stream to the driver
 * as it is, with TCP's own backpressure, and Range reads for free.
 *
 * Bodies are never buffered: an append hands the request itself to the
 * driver, a read pipes the driver's stream into the response.
 */
export class BlobServer {
  readonly server: Server;
  private readonly uploads = new KeyedSerializer();
  private readonly metrics: RequestMetrics;

  constructor(private readonly options: BlobServerOptions) {
    this.metrics = new RequestMetrics(options.metrics ?? new Registry());
    // No whole-request deadline: an append of a large chunk may stream for minutes.
    this.server = createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 }, (req, res) => {
      void this.handle(req, res);
    });
    this.server.setTimeout(options.idleTimeoutMs ?? 120_000);
  }

  /** Starts listening and answers the base URL, e.g. http://127.0.0.1:5002. */
  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${shown}:${address.port}`;
  }

  /**
   * Stops accepting connections and resolves once the requests in flight have
   * finished. Node closes the connections idle at that moment only; one whose
   * request finishes later would stay open for its keep-alive time, so idle
   * connections are closed again until the server is done.
   */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const sweep = setInterval(() => this.server.closeIdleConnections(), 100);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.close((error) => (error ? reject(error) : resolve()));
        this.server.closeIdleConnections();
      });
    } finally {
      clearInterval(sweep);
    }
    await this.uploads.idle();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const nameRoute = this.metrics.track(request, response);
    const log = this.requestLogger(request, response);
    const requestLog = new RequestLog(request, response, log);
    const minimum = this.options.storage.minimumChunkLength;
    if (minimum !== undefined) response.setHeader(MINIMUM_CHUNK_LENGTH_HEADER, minimum);

    let failure: unknown;
    try {
      await this.dispatch(request, response, log, nameRoute);
    } catch (error) {
      failure = error;
      fail(request, response, error);
    }
    await requestLog.completed(failure);
  }

  private async dispatch(
    request: IncomingMessage,
    response: ServerResponse,
    log: Logger,
    nameRoute: RouteNamer,
  ) {
    const url = new URL(request.url ?? "/", "http://blobs");
    if (url.pathname === "/metrics" && (request.method === "GET" || request.method === "HEAD")) {
      await this.metrics.serve(response);
      return;
    }
    const route = findRoute(request.method ?? "GET", url.pathname);
    if (route === undefined) {
      sendJson(response, 404, { kind: "route-unknown", message: "no such route" });
      return;
    }
    nameRoute(route.label);

    const { storage } = this.options;
    const query = url.searchParams;
    await route.handler({
      ...route,
      request,
      response,
      query,
      storage,
      uploads: this.uploads,
      log,
    });
  }

  /** A logger bound to the caller's request id, which is echoed back. */
  private requestLogger(request: IncomingMessage, response: ServerResponse): Logger {
    const header = request.headers[REQUEST_ID_HEADER];
    const reqId = (Array.isArray(header) ? header[0] : header) || randomUUID();
    response.setHeader(REQUEST_ID_HEADER, reqId);
    return this.options.logger.child({ reqId });
  }
}

/**
 * Answers a failed request: the one place where errors become statuses (the
 * request's log line tells the error; see RequestLog). A request whose body
 * was not read to the end closes its connection, so no leftover bytes are
 * taken for the next request. A response already under way, or whose client
 * has gone, can only be cut short.
 */
function fail(request: IncomingMessage, response: ServerResponse, error: unknown) {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }

  const wire = toWireError(error);
  if (!request.complete) response.setHeader("connection", "close");
  sendJson(response, wire.status, wire.body);
}
