import { randomBytes } from "node:crypto";
import { createServer as createNetServer, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { PlainGets } from "../src/http/plain-gets";
import { readAll } from "./bodies";
import {
  againstStore,
  answerBody,
  httpStore,
  listen,
  type RawStore,
  sha256,
} from "./stand-in-stores";

const large = randomBytes(8 * 1024 * 1024);
const small = Buffer.from("a short answer");

describe("PlainGets against Node's HTTP server", () => {
  /** The Range and traceparent fields of each request, as the server saw them. */
  const ranges: (string | undefined)[] = [];
  const traceparents: (string | undefined)[] = [];
  const store = httpStore((request, response) => {
    ranges.push(request.headers.range);
    traceparents.push(request.headers.traceparent as string | undefined);
    const path = request.url?.replace(/\?.*$/, "");
    if (path === "/large") {
      response.writeHead(200, { "content-length": large.length }).end(large);
    } else if (path === "/range") {
      const part = large.subarray(10, 20);
      const range = `bytes 10-19/${large.length}`;
      response.writeHead(206, { "content-range": range, "content-length": 10 }).end(part);
    } else if (path === "/close") {
      response.writeHead(200, { "content-length": small.length, connection: "close" });
      response.end(small);
    } else if (path === "/chunked") {
      response.writeHead(200).write("no length");
      response.end();
    } else if (path === "/empty") {
      response.writeHead(200, { "content-length": 0 }).end();
    } else {
      response.writeHead(404, { "content-length": small.length }).end(small);
    }
  });

  it("reads bodies byte for byte and keeps one connection for GETs one after another", async () => {
    const before = store.accepted;
    for (const path of ["/large", "/missing", "/empty", "/large"]) {
      const answer = await store.gets.get(new URL(path, store.origin));
      const body = await readAll(answerBody(answer));
      if (path === "/large") {
        expect(answer.statusCode).toBe(200);
        expect(sha256(body)).toBe(sha256(large));
      } else if (path === "/empty") {
        expect(body.length).toBe(0);
      } else {
        expect(answer.statusCode).toBe(404);
        expect(body.toString()).toBe(small.toString());
      }
    }
    expect(store.accepted - before).toBe(1);
  });

  it("reads the next answer into a small buffer after a large body", async () => {
    await readAll(answerBody(await store.gets.get(new URL("/large", store.origin))));
    const next = answerBody(await store.gets.get(new URL("/large", store.origin)));
    const [first] = await next.take(1).toArray();
    // The head and the first of the body came in one read: of 64 KiB, not
    // of the 1 MiB the large body's reads had grown to.
    expect((first as Buffer).length).toBeLessThanOrEqual(64 * 1024);
    next.destroy();
  });

  it("sends the fields given and answers the head's fields in lower case", async () => {
    const answer = await store.gets.get(new URL("/range", store.origin), { range: "bytes=10-19" });
    expect(answer.statusCode).toBe(206);
    expect(answer.headers["content-range"]).toBe(`bytes 10-19/${large.length}`);
    expect(await readAll(answerBody(answer))).toEqual(large.subarray(10, 20));
    expect(ranges.at(-1)).toBe("bytes=10-19");
  });

  it("answers without the body when it has no Content-Length", async () => {
    const unframed = await store.gets.get(new URL("/chunked", store.origin));
    expect(unframed.statusCode).toBe(200);
    expect(unframed.headers["transfer-encoding"]).toBe("chunked");
    expect(unframed.body).toBeUndefined();
    // The connection it came on is not reused; the next GET gets a new one.
    const answer = await store.gets.get(new URL("/large", store.origin));
    expect(sha256(await readAll(answerBody(answer)))).toBe(sha256(large));
  });

  it("opens a new connection after an answer that closed its own", async () => {
    const before = store.accepted;
    for (let i = 0; i < 2; i++)
      await readAll(answerBody(await store.gets.get(new URL("/close", store.origin))));
    expect(store.accepted - before).toBe(2);
  });

  it("sends again on a new connection when storage closed the idle one", async () => {
    await readAll(answerBody(await store.gets.get(new URL("/large", store.origin))));
    store.server.closeIdleConnections();
    await sleep(50);
    const answer = await store.gets.get(new URL("/large", store.origin));
    expect(sha256(await readAll(answerBody(answer)))).toBe(sha256(large));
  });

  it("keeps at most maxIdlePerHost connections idle", async () => {
    const few = new PlainGets({ maxIdlePerHost: 3 });
    try {
      const before = store.accepted;
      // Five GETs at once take five connections; three stay for the next five.
      const opened = await Promise.all(
        Array.from({ length: 5 }, () => few.get(new URL("/large", store.origin))),
      );
      await Promise.all(opened.map((answer) => readAll(answerBody(answer))));
      expect(store.accepted - before).toBe(5);
      await Promise.all(
        Array.from({ length: 5 }, async () =>
          readAll(answerBody(await few.get(new URL("/large", store.origin)))),
        ),
      );
      expect(store.accepted - before).toBe(7);
    } finally {
      few.close();
    }
  });

  it("does not reuse a connection whose body was left unread", async () => {
    const before = store.accepted;
    const first = await store.gets.get(new URL("/large", store.origin));
    answerBody(first).destroy();
    const second = await store.gets.get(new URL("/large", store.origin));
    expect(sha256(await readAll(answerBody(second)))).toBe(sha256(large));
    expect(store.accepted - before).toBe(2);
  });

  it("waits for a consumer that reads slowly without timing out", async () => {
    const slow = new PlainGets({ timeoutMs: 200 });
    try {
      const answer = await slow.get(new URL("/large", store.origin));
      await sleep(500);
      const chunks: Buffer[] = [];
      for await (const chunk of answerBody(answer)) {
        chunks.push(chunk as Buffer);
        if (chunks.length === 2) await sleep(400);
      }
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(large));
    } finally {
      slow.close();
    }
  });

  it("traces each GET, body included, and sends the trace on (URL without its query)", async () => {
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
    );
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const answer = await store.gets.get(new URL("/large?X-Amz-Signature=secret", store.origin));
      expect(spans.getFinishedSpans()).toHaveLength(0);
      await readAll(answerBody(answer));
      await readAll(answerBody(await store.gets.get(new URL("/missing", store.origin))));

      const [pulled, missing] = spans.getFinishedSpans();
      expect(pulled?.name).toBe("GET");
      expect(pulled?.attributes).toMatchObject({
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "url.full": `${store.origin}/large`,
      });
      expect(missing?.status.code).toBe(SpanStatusCode.ERROR);
      expect(traceparents.at(-2)).toMatch(new RegExp(`^00-${pulled?.spanContext().traceId}-`));
    } finally {
      trace.disable();
      propagation.disable();
    }
  });

  it("refuses URLs other than http:", async () => {
    await expect(store.gets.get(new URL("https://127.0.0.1/x"))).rejects.toThrow(/http: URLs/);
  });
});

describe("PlainGets against a store that misbehaves", () => {
  const ok = (text: string) => `HTTP/1.1 200 OK\r\ncontent-length: ${text.length}\r\n\r\n${text}`;
  const textOf = async ({ gets, url }: RawStore) =>
    (await readAll(answerBody(await gets.get(url)))).toString();

  it("fails a body cut short instead of ending it early", async () => {
    const cut = (socket: Socket) =>
      socket.end("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly a few bytes");
    await againstStore(cut, {}, async ({ gets, url }) => {
      const answer = await gets.get(url);
      await expect(readAll(answerBody(answer))).rejects.toThrow(
        /closed the connection; 984 bytes of the body were still to come/,
      );
    });
  });

  it("fails a body that goes silent, once the deadline passes", async () => {
    const stall = (socket: Socket) =>
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nsome bytes");
    await againstStore(stall, { timeoutMs: 300 }, async ({ gets, url }) => {
      const answer = await gets.get(url);
      await expect(readAll(answerBody(answer))).rejects.toThrow(
        /sent nothing for 300 ms; 990 bytes of the body/,
      );
    });
  });

  it("fails when no answer comes in time", async () => {
    await againstStore(
      () => {},
      { timeoutMs: 300 },
      async ({ gets, url }) => {
        await expect(gets.get(url)).rejects.toThrow(/did not answer within 300 ms/);
      },
    );
  });

  it("gives up on a head that trickles in past the deadline", async () => {
    const head = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
    const drip = (socket: Socket) => {
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || sent === head.length) return clearInterval(timer);
        socket.write(head[sent++] as string);
      }, 50);
    };
    await againstStore(drip, { timeoutMs: 300 }, async ({ gets, url }) => {
      await expect(gets.get(url)).rejects.toThrow(/did not answer within 300 ms/);
    });
  });

  it("does not reuse a connection that brought more than the body", async () => {
    const overlong = (socket: Socket, request: number) =>
      socket.write(request === 1 ? `${ok("abc")}EXTRA` : ok("xyz"));
    await againstStore(overlong, {}, async (store) => {
      expect(await textOf(store)).toBe("abc");
      expect(await textOf(store)).toBe("abc");
      expect(store.connections()).toBe(2);
    });
  });

  it("never takes bytes sent on an idle connection for the next answer", async () => {
    const chatty = (socket: Socket, request: number) => {
      socket.write(ok(`answer ${request}`));
      if (request === 1) setTimeout(() => socket.write(ok("nobody asked")), 50);
    };
    await againstStore(chatty, {}, async (store) => {
      expect(await textOf(store)).toBe("answer 1");
      await sleep(150);
      expect(await textOf(store)).toBe("answer 1");
      expect(store.connections()).toBe(2);
    });
  });

  it("asks again on a new connection when a reused one answers 408", async () => {
    const timedOut =
      "HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    const impatient = (socket: Socket, request: number) =>
      request === 1 ? socket.write(ok("first")) : socket.end(timedOut);
    await againstStore(impatient, {}, async (store) => {
      expect(await textOf(store)).toBe("first");
      const again = await store.gets.get(store.url);
      expect(again.statusCode).toBe(200);
      expect((await readAll(answerBody(again))).toString()).toBe("first");
      expect(store.connections()).toBe(2);
    });
  });

  it("reads no body for 204 and 304, whatever their Content-Length", async () => {
    const bodiless = (socket: Socket, request: number) => {
      const status = request === 1 ? "204 No Content" : "304 Not Modified";
      socket.write(`HTTP/1.1 ${status}\r\ncontent-length: 1234\r\n\r\n`);
    };
    await againstStore(bodiless, { timeoutMs: 300 }, async ({ gets, url }) => {
      for (const status of [204, 304]) {
        const answer = await gets.get(url);
        expect(answer.statusCode).toBe(status);
        expect((await readAll(answerBody(answer))).length).toBe(0);
      }
    });
  });

  it("rejects a refused connection", async () => {
    const server = createNetServer();
    const origin = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const gets = new PlainGets();
    await expect(gets.get(new URL("/", origin))).rejects.toThrow(/ECONNREFUSED/);
    gets.close();
  });
});
