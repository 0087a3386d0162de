import { startTracing } from "./tracing";

/**
 * Imported first by main.ts, for its side effect: tracing, when the
 * environment asks for it, has to start before the modules it instruments
 * (http, undici, @grpc/grpc-js, pg) are loaded by the role's own imports.
 */
try {
  startTracing(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`portfolio: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
