import { Client, credentials, type ServiceError } from "@grpc/grpc-js";
import type { MetadataStore } from "@portfolio/core";
import { metadataV1 } from "@portfolio/proto";
import pino, { type Logger } from "pino";
import type { Registry } from "prom-client";
import { GrpcMetadataStore, type GrpcMetadataStoreOptions, startMetadataServer } from "../src";

/**
 * A store whose every method does what `answer` says, told the method's name.
 * It has no `then`, so that awaiting it does not call `answer`.
 */
export function storeThat(answer: (method: string) => Promise<unknown>): MetadataStore {
  return new Proxy({} as MetadataStore, {
    get: (_target, method) => (method === "then" ? undefined : () => answer(String(method))),
  });
}

/** A server on 127.0.0.1 (a free port) over `store`, a client of it, and how to close both. */
export async function serveOverGrpc(
  store: MetadataStore,
  options: { logger?: Logger; client?: GrpcMetadataStoreOptions; metrics?: Registry } = {},
) {
  const logger = options.logger ?? pino({ level: "silent" });
  const { metrics } = options;
  const server = await startMetadataServer(store, { address: "127.0.0.1:0", logger, metrics });
  const client = new GrpcMetadataStore(server.address, options.client);
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** A logger at debug level whose lines are kept, parsed, in `lines`. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
  return { logger: pino({ level: "debug" }, stream), lines };
}

/**
 * Calls `method` with a bare grpc-js client, as a client in another language
 * would, and returns the error status it failed with.
 */
export function failedCall<M extends keyof typeof metadataV1.MetadataServiceService>(
  address: string,
  method: M,
  request: Parameters<(typeof metadataV1.MetadataServiceService)[M]["requestSerialize"]>[0],
): Promise<ServiceError> {
  const definition = metadataV1.MetadataServiceService[method];
  const client = new Client(address, credentials.createInsecure());
  return new Promise<ServiceError>((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize as (value: typeof request) => Buffer,
      (value: Buffer) => value,
      request,
      (error) => (error ? resolve(error) : reject(new Error(`${method} succeeded`))),
    );
  }).finally(() => client.close());
}
