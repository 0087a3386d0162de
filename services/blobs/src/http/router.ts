import { deleteBlob, presignBlob, putBlob, readBlob } from "./blobs";
import type { Handler } from "./exchange";
import { healthz, readyz } from "./health";
import { listObjects } from "./objects";
import { appendUpload, cancelUpload, commitUpload, createUpload, uploadSize } from "./uploads";

interface Route {
  method: string;
  /** Matches the raw path; its one group, if any, is the percent-encoded name. */
  path: RegExp;
  handler: Handler;
  /** What the metrics count the request under: bounded, unlike the path. */
  label: string;
}

const UPLOAD = /^\/uploads\/([^/]+)$/;
const BLOB = /^\/blobs\/([^/]+)$/;

/** The API described in protocol.ts. HEAD is answered by the GET route, without a body. */
const ROUTES: Route[] = [
  { method: "POST", path: UPLOAD, handler: createUpload, label: "uploads" },
  { method: "GET", path: UPLOAD, handler: uploadSize, label: "uploads" },
  { method: "PATCH", path: UPLOAD, handler: appendUpload, label: "uploads" },
  { method: "DELETE", path: UPLOAD, handler: cancelUpload, label: "uploads" },
  { method: "POST", path: /^\/uploads\/([^/]+)\/commit$/, handler: commitUpload, label: "uploads" },
  { method: "POST", path: /^\/blobs$/, handler: putBlob, label: "blobs" },
  { method: "GET", path: BLOB, handler: readBlob, label: "blobs" },
  { method: "DELETE", path: BLOB, handler: deleteBlob, label: "blobs" },
  { method: "POST", path: /^\/blobs\/([^/]+)\/presign$/, handler: presignBlob, label: "blobs" },
  { method: "GET", path: /^\/objects$/, handler: listObjects, label: "objects" },
  { method: "GET", path: /^\/healthz$/, handler: healthz, label: "health" },
  { method: "GET", path: /^\/readyz$/, handler: readyz, label: "health" },
];

export interface RouteMatch {
  handler: Handler;
  name: string;
  label: string;
}

/** The handler for a request and its decoded path parameter, or undefined when none fits. */
export function findRoute(method: string, pathname: string): RouteMatch | undefined {
  const wanted = method === "HEAD" ? "GET" : method;
  for (const route of ROUTES) {
    const match = route.method === wanted ? route.path.exec(pathname) : null;
    if (match !== null) return decoded(route, match[1] ?? "");
  }
  return undefined;
}

function decoded({ handler, label }: Route, raw: string): RouteMatch | undefined {
  try {
    return { handler, label, name: decodeURIComponent(raw) };
  } catch {
    return undefined;
  }
}
