import { createHash } from "node:crypto";
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import type { Readable } from "node:stream";
import { PlainGets, type PlainGetsOptions } from "../src/http/plain-gets";

/** Stand-ins for object storage on loopback, for the tests of PlainGets and its bodies. */

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Listens on a free loopback port; answers the origin. */
export async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The body of an answer that has one. */
export function answerBody(answer: { body: Readable | undefined }): Readable {
  if (answer.body === undefined) throw new Error("the answer came without its body");
  return answer.body;
}

/** A store on Node's HTTP server, and a fresh PlainGets for each test. */
export interface HttpStore {
  readonly server: Server;
  readonly origin: string;
  /** The connections the store accepted so far. */
  readonly accepted: number;
  readonly gets: PlainGets;
}

/**
 * Starts an HTTP server answering with `handler` for the enclosing describe
 * block, and gives each of its tests a PlainGets of `options`, closed after it.
 */
export function httpStore(
  handler: RequestListener,
  options: PlainGetsOptions = { timeoutMs: 2_000 },
): HttpStore {
  const server = createHttpServer(handler);
  const state = { origin: "", accepted: 0, gets: undefined as PlainGets | undefined };
  server.on("connection", () => (state.accepted += 1));

  beforeAll(async () => {
    state.origin = await listen(server);
  });
  beforeEach(() => {
    state.gets = new PlainGets(options);
  });
  afterEach(() => state.gets?.close());
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  return {
    server,
    get origin() {
      return state.origin;
    },
    get accepted() {
      return state.accepted;
    },
    get gets() {
      if (state.gets === undefined) throw new Error("gets is made for each test");
      return state.gets;
    },
  };
}

/** A store that answers over raw TCP, as the test tells it to. */
export interface RawStore {
  gets: PlainGets;
  url: URL;
  /** The connections the store accepted so far. */
  connections(): number;
}

/**
 * Runs `test` with a PlainGets of `options` against a TCP server that
 * answers the n-th request of each connection with `answer(socket, n)`,
 * and closes both afterwards.
 */
export async function againstStore(
  answer: (socket: Socket, request: number) => void,
  options: PlainGetsOptions,
  test: (store: RawStore) => Promise<void>,
): Promise<void> {
  const accepted = new Set<Socket>();
  let connections = 0;
  const server = createNetServer((socket) => {
    accepted.add(socket);
    connections += 1;
    let requests = 0;
    socket.on("data", () => answer(socket, ++requests));
    socket.on("error", () => {});
  });
  const url = new URL("/", await listen(server));
  const gets = new PlainGets(options);
  try {
    await test({ gets, url, connections: () => connections });
  } finally {
    gets.close();
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}
