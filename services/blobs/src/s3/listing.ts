import type { StoredObject } from "@portfolio/core";
import type { S3Layout } from "./layout";
import type { ListedObject, S3Objects } from "./s3-objects";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Every blob object and every staged upload under the driver's prefix (see
 * layout.ts). An upload is reported once, from the objects under its prefix
 * (its state and tails, which a listing returns together as keys sort): their
 * total size and latest write. Parts inside an unfinished multipart upload are
 * not objects and are not counted; cancelling the upload aborts them.
 */
export async function* listStoredObjects(
  objects: S3Objects,
  layout: S3Layout,
): AsyncIterable<StoredObject> {
  const blobs = layout.blobsPrefix();
  for await (const object of objects.list(blobs)) {
    const key = object.key.slice(blobs.length);
    if (UUID.test(key))
      yield { kind: "blob", key, size: object.size, modifiedAt: object.modifiedAt };
  }

  let upload: StoredObject | undefined;
  for await (const object of objects.list(layout.uploadsPrefix())) {
    const key = uploadIdOf(layout, object);
    if (key === undefined) continue;
    if (upload !== undefined && upload.key !== key) yield upload;
    upload =
      upload?.key === key ? merged(upload, object) : { kind: "upload", key, ...sized(object) };
  }
  if (upload !== undefined) yield upload;
}

function uploadIdOf(layout: S3Layout, object: ListedObject): string | undefined {
  const id = object.key.slice(layout.uploadsPrefix().length).split("/")[0] ?? "";
  return UUID.test(id) ? id : undefined;
}

function sized(object: ListedObject): { size: number; modifiedAt: Date } {
  return { size: object.size, modifiedAt: object.modifiedAt };
}

function merged(upload: StoredObject, object: ListedObject): StoredObject {
  const modifiedAt = new Date(Math.max(object.modifiedAt.getTime(), upload.modifiedAt.getTime()));
  return { ...upload, size: upload.size + object.size, modifiedAt };
}
