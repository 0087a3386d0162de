import { type FileHandle, open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SizeMismatchError } from "@portfolio/core";
import { ByteMeter, type ByteMeterOptions } from "../streams/byte-meter";
import { CoalescingFileWriter } from "./coalescing-file-writer";

/**
 * Writes `body` into the file at `path` from byte `start` and returns the
 * file's new size. A body that fails, or that does not hold exactly `limit`
 * bytes when a limit is given (SizeMismatchError), leaves the file truncated
 * back to `start`, as if the append had never begun.
 */
export async function appendToFile(
  path: string,
  start: number,
  body: Readable,
  options: ByteMeterOptions,
): Promise<number> {
  const file = await open(path, "r+");
  try {
    return start + (await writeBody(file, start, body, options));
  } catch (error) {
    await file.truncate(start);
    throw error;
  } finally {
    await file.close();
  }
}

async function writeBody(
  file: FileHandle,
  start: number,
  body: Readable,
  options: ByteMeterOptions,
): Promise<number> {
  const meter = new ByteMeter(options);
  const writer = new CoalescingFileWriter(file, start);
  try {
    await pipeline(body, meter, writer);
  } finally {
    await writer.idle();
  }

  const { limit } = options;
  if (limit !== undefined && meter.bytes !== limit) throw new SizeMismatchError(limit, meter.bytes);
  return meter.bytes;
}
