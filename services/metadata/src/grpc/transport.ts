import type { ChannelOptions } from "@grpc/grpc-js";

/**
 * The largest message either end accepts. gRPC's default of 4 MiB is smaller
 * than a manifest of the gateway's default limit plus its envelope, so both
 * ends raise it to the same figure.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function messageSizeOptions(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): ChannelOptions {
  return {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
  };
}

/** The gRPC metadata key that carries the gateway's request id into this service's logs. */
export const REQUEST_ID_KEY = "x-request-id";
