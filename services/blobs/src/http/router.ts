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
}

const UPLOAD = /^\/uploads\/([^/]+)$/;
const BLOB = /^\/blobs\/([^/]+)$/;

/** The API described in protocol.ts. HEAD is answered by the GET route, without a body. */
const ROUTES: Route[] = [
  { method: "POST", path: UPLOAD, handler: createUpload },
  { method: "GET", path: UPLOAD, handler: uploadSize },
  { method: "PATCH", path: UPLOAD, handler: appendUpload },
  { method: "DELETE", path: UPLOAD, handler: cancelUpload },
  { method: "POST", path: /^\/uploads\/([^/]+)\/commit$/, handler: commitUpload },
  { method: "POST", path: /^\/blobs$/, handler: putBlob },
  { method: "GET", path: BLOB, handler: readBlob },
  { method: "DELETE", path: BLOB, handler: deleteBlob },
  { method: "POST", path: /^\/blobs\/([^/]+)\/presign$/, handler: presignBlob },
  { method: "GET", path: /^\/objects$/, handler: listObjects },
  { method: "GET", path: /^\/healthz$/, handler: healthz },
  { method: "GET", path: /^\/readyz$/, handler: readyz },
];

export interface RouteMatch {
  handler: Handler;
  name: string;
}

/** The handler for a request and its decoded path parameter, or undefined when none fits. */
export function findRoute(method: string, pathname: string): RouteMatch | undefined {
  const wanted = method === "HEAD" ? "GET" : method;
  for (const route of ROUTES) {
    const match = route.method === wanted ? route.path.exec(pathname) : null;
    if (match !== null) return decoded(route.handler, match[1] ?? "");
  }
  return undefined;
}

function decoded(handler: Handler, raw: string): RouteMatch | undefined {
  try {
    return { handler, name: decodeURIComponent(raw) };
  } catch {
    return undefined;
  }
}
