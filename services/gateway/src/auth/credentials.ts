/** What an `Authorization` header carries, as far as this registry understands it. */
export type Credentials =
  | { scheme: "basic"; name: string; password: string }
  | { scheme: "bearer"; token: string }
  | { scheme: "unsupported" };

/** Reads `Authorization: Basic …` (RFC 7617) or `Bearer …` (RFC 6750); undefined if absent. */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header === "") return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return { scheme: "unsupported" };

  switch (scheme?.toLowerCase()) {
    case "bearer":
      return { scheme: "bearer", token: value };
    case "basic":
      return basic(value);
    default:
      return { scheme: "unsupported" };
  }
}

function basic(value: string): Credentials {
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return { scheme: "unsupported" };
  return { scheme: "basic", name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
