import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { type ErrorCode, OciError } from "@portfolio/core";

// llhttp's codes for a Content-Length that is not a number, or that comes with chunked encoding.
const LENGTH_ERRORS = ["HPE_INVALID_CONTENT_LENGTH", "HPE_UNEXPECTED_CONTENT_LENGTH"];

/**
 * Answers a request Node's HTTP parser refused before any route saw it
 * (oversized headers, a bad Content-Length, broken chunked encoding) with the
 * spec's error body, as every other error is answered, then closes the
 * connection: what follows on it can no longer be parsed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const oci = clientError(error.code);
  const body = JSON.stringify(oci.toBody());
  socket.end(
    `HTTP/1.1 ${oci.status} ${STATUS_CODES[oci.status]}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

function clientError(code: string | undefined): OciError {
  if (code === "HPE_HEADER_OVERFLOW") return refused("UNSUPPORTED", 431, "headers are too large");
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return refused("UNSUPPORTED", 408, "request timed out");
  if (code !== undefined && LENGTH_ERRORS.includes(code)) {
    return refused("SIZE_INVALID", 400, "Content-Length is not a valid length");
  }
  return refused("UNSUPPORTED", 400, "the request is not valid HTTP");
}

function refused(code: ErrorCode, status: number, message: string): OciError {
  return new OciError(code, message, undefined, { status });
}
