import { isStorableText, OciError } from "@portfolio/core";

/** The query string as Fastify parses it: a repeated parameter becomes an array. */
export type Query = Record<string, string | string[] | undefined>;

/**
 * A query parameter given at most once. A repeated one is ambiguous (which
 * `last`, which `digest`?), so it is refused rather than one value picked;
 * parameters no route reads (a repeated `tag`, say) are left alone.
 */
export function queryParam(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw badQuery(`${name} is given more than once`);
  return value;
}

/**
 * A parameter the database compares with stored text (`last`, `artifactType`).
 * Postgres refuses NUL and invalid UTF-8 outright, so such a value is refused
 * here with a 400 instead of failing there with a 500.
 */
export function textQueryParam(query: Query, name: string): string | undefined {
  const value = queryParam(query, name);
  if (value !== undefined && !isStorableText(value)) {
    throw badQuery(`${name} holds a NUL character or invalid UTF-8`);
  }
  return value;
}

/** The spec has no code for a bad query parameter; this is the one `n` has always had. */
export function badQuery(message: string): OciError {
  return new OciError("UNSUPPORTED", message, undefined, { status: 400 });
}
