import type { FastifyReply } from "fastify";

/**
 * Sends JSON as bytes with exactly the given Content-Type: clients compare
 * media types byte for byte, and Fastify would append `; charset=utf-8` to a
 * string body.
 */
export function sendJson(
  reply: FastifyReply,
  value: unknown,
  contentType = "application/json",
): FastifyReply {
  return reply.type(contentType).send(Buffer.from(JSON.stringify(value)));
}
