import type { Descriptor } from "./descriptor";
import { parseDigest } from "./digest";
import { ManifestInvalidError } from "./domain-errors";
import {
  IMAGE_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  isNonDistributable,
  SCHEMA1_MEDIA_TYPES,
} from "./media-types";
import { isStorableText } from "./text";

/** What the registry needs to know of a manifest to store and index it. */
export interface ParsedManifest {
  mediaType: string;
  /** The type a referrers list reports: `artifactType`, else an image's config media type. */
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  /** Config and layers the repository must hold (non-distributable layers excluded). */
  blobs: Descriptor[];
  /** Manifests an index lists, which the repository must hold. */
  children: Descriptor[];
}

type Json = Record<string, unknown>;

/**
 * Parses a manifest as pushed. `contentType` is the request's Content-Type;
 * when the body names a media type too, the two must agree (spec: "Pushing
 * Manifests"). Throws ManifestInvalidError with a message a user can act on.
 */
export function parseManifest(payload: Uint8Array, contentType?: string): ParsedManifest {
  const body = parseJsonObject(payload);
  const mediaType = resolveMediaType(body, contentType);

  if (INDEX_MEDIA_TYPES.includes(mediaType)) return parseIndex(body, mediaType);
  return parseImageManifest(body, mediaType);
}

/** JSON is UTF-8 (RFC 8259); a lenient decoder would index text that differs from the bytes. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function parseJsonObject(payload: Uint8Array): Json {
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(payload);
  } catch {
    throw new ManifestInvalidError("manifest is not UTF-8");
  }
  try {
    value = JSON.parse(text);
  } catch {
    throw new ManifestInvalidError("manifest is not valid JSON");
  }
  if (!isObject(value)) throw new ManifestInvalidError("manifest must be a JSON object");
  return value;
}

function resolveMediaType(body: Json, contentType: string | undefined): string {
  const declared = body.mediaType;
  const header = contentType?.split(";")[0]?.trim() || undefined;

  if (body.schemaVersion === 1 || (header && SCHEMA1_MEDIA_TYPES.includes(header))) {
    throw new ManifestInvalidError(
      "Docker schema 1 manifests are not supported; push an OCI or Docker schema 2 manifest",
    );
  }
  if (body.schemaVersion !== 2) throw new ManifestInvalidError("schemaVersion must be 2");
  if (declared !== undefined && typeof declared !== "string") {
    throw new ManifestInvalidError("mediaType must be a string");
  }
  if (declared && header && declared !== header) {
    throw new ManifestInvalidError(`mediaType ${declared} does not match Content-Type ${header}`);
  }

  const mediaType = declared || header || inferMediaType(body);
  if (!IMAGE_MEDIA_TYPES.includes(mediaType) && !INDEX_MEDIA_TYPES.includes(mediaType)) {
    throw new ManifestInvalidError(`unsupported manifest media type ${mediaType}`);
  }
  return mediaType;
}

function inferMediaType(body: Json): string {
  return Array.isArray(body.manifests) ? INDEX_MEDIA_TYPES[0]! : IMAGE_MEDIA_TYPES[0]!;
}

function parseImageManifest(body: Json, mediaType: string): ParsedManifest {
  const config = parseDescriptor(body.config, "config");
  if (!Array.isArray(body.layers)) throw new ManifestInvalidError("layers must be an array");
  const layers = body.layers.map((layer, i) => parseDescriptor(layer, `layers[${i}]`));
  const artifactType = storable(
    optionalString(body.artifactType, "artifactType") ?? config.mediaType,
    "artifactType (or config.mediaType)",
  );

  return {
    ...common(body, mediaType),
    artifactType,
    blobs: [config, ...layers.filter((layer) => !isNonDistributable(layer.mediaType))],
    children: [],
  };
}

function parseIndex(body: Json, mediaType: string): ParsedManifest {
  if (!Array.isArray(body.manifests)) throw new ManifestInvalidError("manifests must be an array");
  const children = body.manifests.map((child, i) => parseDescriptor(child, `manifests[${i}]`));
  const artifactType = storable(optionalString(body.artifactType, "artifactType"), "artifactType");

  return { ...common(body, mediaType), artifactType, blobs: [], children };
}

function common(
  body: Json,
  mediaType: string,
): Pick<ParsedManifest, "mediaType" | "subject" | "annotations"> {
  return {
    mediaType,
    subject: body.subject === undefined ? undefined : parseDescriptor(body.subject, "subject"),
    annotations: storableAnnotations(parseAnnotations(body.annotations, "annotations")),
  };
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new ManifestInvalidError(`${where} must be a descriptor object`);
  const { mediaType, digest, size } = value;

  if (typeof mediaType !== "string" || mediaType === "") {
    throw new ManifestInvalidError(`${where}.mediaType must be a non-empty string`);
  }
  if (typeof digest !== "string" || !parseDigest(digest)) {
    throw new ManifestInvalidError(`${where}.digest is not a valid sha256 or sha512 digest`);
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new ManifestInvalidError(`${where}.size must be a non-negative integer`);
  }
  parseAnnotations(value.annotations, `${where}.annotations`);

  return value as Descriptor;
}

function parseAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw new ManifestInvalidError(`${where} must map strings to strings`);
  }
  return value as Record<string, string>;
}

/** The manifest's own annotations are stored and listed in referrers; its descriptors' are not. */
function storableAnnotations(annotations: Record<string, string> | undefined) {
  for (const [key, value] of Object.entries(annotations ?? {})) {
    storable(key, "annotations");
    storable(value, `annotations.${key}`);
  }
  return annotations;
}

/** Text the registry indexes (and lists in referrers) must be storable as such. */
function storable<T extends string | undefined>(value: T, where: string): T {
  if (value !== undefined && !isStorableText(value)) {
    throw new ManifestInvalidError(`${where} holds a NUL character or an unpaired surrogate`);
  }
  return value;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ManifestInvalidError(`${where} must be a string`);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
