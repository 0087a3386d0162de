import pino, { type Logger } from "pino";

/**
 * One structured logger for the process. Credentials never reach a log line:
 * authorization headers and anything named like a secret are redacted.
 */
export function createLogger(level: string): Logger {
  return pino({
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
  });
}
