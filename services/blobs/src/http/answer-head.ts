/**
 * An answer this client does not read: an interim 1xx, a head that is not
 * HTTP/1.x, a malformed field or Content-Length, a head over 64 KiB.
 */
export class UnreadableAnswerError extends Error {
  override readonly name = "UnreadableAnswerError";
}

export interface AnswerHead {
  statusCode: number;
  headers: Record<string, string>;
  /** The body's length in bytes; undefined when the head does not give it. */
  length: number | undefined;
  /** Whether the connection may carry the next GET once the body has been read. */
  keepAlive: boolean;
}

/** What RFC 9110 allows in a field name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses an answer's head, without its blank line; UnreadableAnswerError if it cannot. */
export function parseHead(text: string): AnswerHead {
  // RFC 9112 asks clients to ignore empty lines before the status line.
  const [statusLine = "", ...lines] = text.replace(/^(\r\n)+/, "").split("\r\n");
  const status = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: |$)/.exec(statusLine);
  if (status === null) {
    throw new UnreadableAnswerError(`not an HTTP/1.x status line: ${statusLine}`);
  }
  const statusCode = Number(status[2]);
  if (statusCode < 200) throw new UnreadableAnswerError(`an interim answer (${statusCode})`);

  // No prototype: a field named __proto__ or constructor is a field like any other.
  const headers: Record<string, string> = Object.create(null);
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    // A line folded onto the one before (obsolete), a name that is no token
    // (space before the colon included), a bare CR or LF, a NUL.
    if (colon <= 0 || !TOKEN.test(name) || /[\0\r\n]/.test(value)) {
      throw new UnreadableAnswerError(`a malformed field: ${JSON.stringify(line)}`);
    }
    const known = headers[name];
    if (known === undefined) headers[name] = value;
    else if (name === "content-length" && known !== value) {
      throw new UnreadableAnswerError("two different Content-Length fields");
    } else if (name !== "content-length") headers[name] = `${known}, ${value}`;
  }
  const declared = headers["content-length"];
  if (declared !== undefined && !/^\d{1,15}$/.test(declared)) {
    throw new UnreadableAnswerError(`a malformed Content-Length: ${declared}`);
  }
  const framed = declared !== undefined && headers["transfer-encoding"] === undefined;
  // 204 and 304 never have a body, whatever their Content-Length says.
  const bodiless = statusCode === 204 || statusCode === 304;
  const length = bodiless ? 0 : framed ? Number(declared) : undefined;
  const connection = (headers.connection ?? "")
    .toLowerCase()
    .split(",")
    .map((t) => t.trim());
  const keepAlive =
    status[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
  return { statusCode, headers, length, keepAlive };
}
