import { createHash } from "node:crypto";
import type { Readable } from "node:stream";

/** What the large-blob tests measure: the digest of what streamed, and memory while it did. */
export async function digestOfStream(stream: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk);
  return `sha256:${hash.digest("hex")}`;
}

/** Samples resident memory until stopped, and answers the largest growth seen. */
export function peakMemoryGrowth(): { stop(): number } {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  return {
    stop() {
      clearInterval(sampler);
      return Math.max(peak, process.memoryUsage().rss) - baseline;
    },
  };
}
