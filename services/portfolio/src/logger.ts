import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { traceLogMixin } from "./tracing";

/**
 * One structured logger for the process. Credentials never reach a log line:
 * authorization headers and anything named like a secret are redacted.
 * Lines go to stdout unless a destination is given (tests read them back).
 * With tracing on, each line written inside a span carries its `trace_id`
 * and `span_id`.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: "portfolio" },
    redact: {
      paths: [
        "req.headers.authorization",
        "headers.authorization",
        "*.password",
        "*.token",
        "*.secret",
      ],
      censor: "[redacted]",
    },
  };
  const mixin = traceLogMixin();
  if (mixin) options.mixin = mixin;
  return destination ? pino(options, destination) : pino(options);
}
