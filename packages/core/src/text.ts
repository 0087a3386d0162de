// A UTF-16 surrogate without its partner, which JSON's "\ud800" escape can make.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether a string can be stored and compared as text: Postgres text and
 * jsonb refuse NUL characters and invalid UTF-8, so a client value holding
 * either would fail deep in the database instead of being refused up front.
 */
export function isStorableText(value: string): boolean {
  return !value.includes("\0") && !LONE_SURROGATE.test(value);
}
