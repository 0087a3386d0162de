import { parseHead, UnreadableAnswerError } from "../src/http/answer-head";

describe("parseHead", () => {
  it("reads status, fields and framing", () => {
    const head = parseHead(
      'HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nETag: "x"\r\nX-A: 1\r\nx-a: 2',
    );
    expect(head).toEqual({
      statusCode: 206,
      headers: { "content-length": "10", etag: '"x"', "x-a": "1, 2" },
      length: 10,
      keepAlive: true,
    });
    expect(parseHead("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close").keepAlive).toBe(
      false,
    );
    expect(parseHead("HTTP/1.0 200 OK\r\nContent-Length: 0").keepAlive).toBe(false);
  });

  it("gives no length for a body framed otherwise", () => {
    expect(parseHead("HTTP/1.1 200 OK\r\nETag: x").length).toBeUndefined();
    const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5";
    expect(parseHead(chunked).length).toBeUndefined();
  });

  it.each([
    ["two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6"],
    ["a negative length", "HTTP/1.1 200 OK\r\nContent-Length: -5"],
    ["an interim answer", "HTTP/1.1 100 Continue"],
    ["HTTP/2", "HTTP/2 200"],
    ["a folded field", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n  folded"],
  ])("refuses %s", (_, text) => {
    expect(() => parseHead(text)).toThrow(UnreadableAnswerError);
  });
});
