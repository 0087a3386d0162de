import { Prisma } from "./generated/prisma/client";

/**
 * What the queries of this package run on: the client itself or the client of
 * an interactive transaction. Queries use `$queryRaw` tagged templates, so
 * every value is a bound parameter and never part of the SQL text.
 */
export type Db = Prisma.TransactionClient;

/** A window condition and limit; `last` is exclusive and compared bytewise. */
export function pageAfter(column: Prisma.Sql, last: string | undefined): Prisma.Sql {
  return last === undefined ? Prisma.empty : Prisma.sql`AND ${column} COLLATE "C" > ${last}`;
}

/** `LIMIT n`, or nothing without n. */
export function pageLimit(n: number | undefined): Prisma.Sql {
  return n === undefined ? Prisma.empty : Prisma.sql`LIMIT ${n}`;
}

/** Postgres BIGINT arrives as a bigint; sizes and ids fit a double. */
export function toNumber(value: bigint | number): number {
  return Number(value);
}

/** BYTEA arrives as a Uint8Array; the contracts speak Buffer (without copying). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
