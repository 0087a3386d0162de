import type { RegistryEvent } from "@portfolio/core";
import type { IHeaders, KafkaMessage } from "kafkajs";

/** A record on the events topic that is not an event of the contract. */
export class MalformedEventError extends Error {
  override readonly name = "MalformedEventError";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a Kafka record in the CloudEvents Kafka binding (binary mode) that
 * the relay writes: envelope in `ce_*` headers, repository as the key, the
 * payload as the JSON value. Throws MalformedEventError when a required part
 * is missing; an unknown `ce_type` is not an error (consumers ignore it).
 */
export function eventFromMessage(message: KafkaMessage): RegistryEvent {
  const id = header(message.headers, "ce_id");
  const type = header(message.headers, "ce_type");
  if (id === undefined || !UUID.test(id)) throw new MalformedEventError("ce_id is not a UUID");
  if (type === undefined) throw new MalformedEventError(`event ${id} has no ce_type`);
  if (message.value === null) throw new MalformedEventError(`event ${id} has no value`);

  let payload: unknown;
  try {
    payload = JSON.parse(message.value.toString("utf8"));
  } catch {
    throw new MalformedEventError(`event ${id} value is not JSON`);
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new MalformedEventError(`event ${id} value is not a JSON object`);
  }

  const fromPayload = (payload as { repository?: unknown }).repository;
  const repository = message.key?.toString("utf8") ?? fromPayload;
  if (typeof repository !== "string") {
    throw new MalformedEventError(`event ${id} names no repository`);
  }
  const event: RegistryEvent = {
    id,
    type: type as RegistryEvent["type"],
    source: header(message.headers, "ce_source") ?? "",
    time: header(message.headers, "ce_time") ?? new Date(Number(message.timestamp)).toISOString(),
    repository,
    payload: payload as RegistryEvent["payload"],
  };
  const requestId = header(message.headers, "x-request-id");
  if (requestId !== undefined) event.requestId = requestId;
  return event;
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
