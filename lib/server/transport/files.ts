/**
 * A minimal ClearML files server on the API port, under `/files` (what `api.files_server` points at): the SDK
 * uploads artifacts, models and debug images with `POST <files_server>` as `multipart/form-data` (each part's
 * field name is the object's path) and downloads them with `GET <files_server>/<path>`. Blobs are stored under
 * `<data dir>/files/`; a path from a request is data: it is split into segments, and a segment that is empty, `.`,
 * `..` or holds a `\` or NUL is refused, and no symbolic link below the root is followed (each component is checked
 * with `lstat`), so nothing outside that folder is ever read, written or deleted. Upload and download paths are
 * percent-decoded the same way. Uploads stream to a temporary file and are renamed into place when complete.
 * Active types (HTML, SVG, XML, JavaScript) are served as attachments, and every file answer says `nosniff`, so
 * that an uploaded page never runs on the API's origin. Every call needs the same credentials as the API.
 *
 * @module
 */

import { dirname, join, sep } from "node:path";
import type { Logger } from "../../logger.ts";
import type { Authenticator } from "../auth/auth.ts";
import type { IncomingCall } from "./dispatch.ts";
import type { Reply } from "./envelope.ts";
import { ServerError } from "../errors.ts";
import { clip } from "../../secrets/wire_mask.ts";
import { multipartBoundary, type PartSink, readMultipart } from "./multipart.ts";

/** The URL path prefix of the files server. */
export const FILES_PREFIX = "/files";
/** Default cap of one upload request (bytes). */
export const MAX_UPLOAD_BYTES = 8 * 1024 ** 3;

const MAX_PATH_CHARS = 1024;
const MAX_DEPTH = 64;
const TMP_DIR = ".upload-tmp";

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  yaml: "text/plain; charset=utf-8",
  csv: "text/csv",
  html: "text/html",
  htm: "text/html",
  xhtml: "application/xhtml+xml",
  xml: "text/xml",
  js: "text/javascript",
  mjs: "text/javascript",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  svg: "image/svg+xml",
  gz: "application/gzip",
  zip: "application/zip",
};

/** Types a browser would run or render as a page: sent as attachments, never inline. */
const ACTIVE_TYPES = new Set(["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "text/javascript"]);

/** Headers of every file answer: no type sniffing, no script, no embedding. */
const FILE_HEADERS = {
  "server": "clearml",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox",
};

/** True when a request path belongs to the files server. */
export function isFilesPath(pathname: string): boolean {
  return pathname === FILES_PREFIX || pathname.startsWith(`${FILES_PREFIX}/`);
}

/**
 * The segments of an object path (`/a/b.txt` or `a%20b/c`, already URL-decoded or not), or `undefined` when the
 * path is unsafe: empty, too long or deep, or with a `.`/`..` segment, a backslash or a NUL.
 */
export function safeSegments(path: string): string[] | undefined {
  if (path.length === 0 || path.length > MAX_PATH_CHARS) return undefined;
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.length === 0 || segments.length > MAX_DEPTH) return undefined;
  for (const s of segments) {
    if (s === "." || s === ".." || s.includes("\\") || s.includes("\0")) return undefined;
  }
  if (segments[0] === TMP_DIR) return undefined;
  return segments;
}

function textReply(status: number, text: string, extra: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...FILE_HEADERS, ...extra },
    body: text,
  };
}

function jsonReply(status: number, value: unknown): Reply {
  return { status, headers: { "content-type": "application/json", ...FILE_HEADERS }, body: JSON.stringify(value) };
}

/** Options of `FilesServer`. */
export interface FilesServerOptions {
  /** Folder of the stored blobs (created on first upload). */
  root: string;
  auth: Authenticator;
  log: Logger;
  /** Cap of one upload request in bytes. @default MAX_UPLOAD_BYTES */
  maxUploadBytes?: number;
  /** Log each request and its answer (no file contents) at info level. */
  wireTrace?: boolean;
}

/** Serves `/files`: upload (POST multipart), download (GET/HEAD), delete (DELETE). */
export class FilesServer {
  #o: FilesServerOptions;

  constructor(options: FilesServerOptions) {
    this.#o = options;
  }

  /** Handle one request under `/files`. */
  async handle(call: IncomingCall): Promise<Reply> {
    const reply = await this.#handle(call);
    if (this.#o.wireTrace) {
      const size = typeof reply.body === "string" || reply.body instanceof Uint8Array
        ? reply.body.length
        : reply.body.size;
      this.#o.log.info(
        `wire <-> ${call.method} ${call.url.pathname} ${reply.status} ${reply.headers["content-type"] ?? ""} ` +
          `${size} bytes${typeof reply.body === "string" ? ` ${clip(reply.body, 500)}` : ""}`,
      );
    }
    return reply;
  }

  async #handle(call: IncomingCall): Promise<Reply> {
    try {
      await this.#o.auth.authenticate(call.headers.get("authorization"), call.headers.get("cookie"), call.remoteAddr);
    } catch (err) {
      if (err instanceof ServerError) return textReply(err.code, err.message);
      throw err;
    }
    try {
      const rest = call.url.pathname.slice(FILES_PREFIX.length);
      switch (call.method) {
        case "POST":
        case "PUT":
          return await this.#upload(call, rest);
        case "GET":
        case "HEAD":
          return await this.#download(rest, call.method === "HEAD");
        case "DELETE":
          return await this.#delete(rest);
        default:
          return textReply(405, `Method ${call.method} is not supported by the files server`, { allow: "GET, POST" });
      }
    } catch (err) {
      if (err instanceof ServerError) return { ...textReply(err.code, err.message), close: true };
      throw err;
    }
  }

  /** The on-disk path of a URL path (percent-decoded per segment), or `undefined` when unsafe. */
  #target(urlPath: string): string | undefined {
    const segments = decodedSegments(urlPath);
    return segments && this.#within(segments);
  }

  /**
   * Refuse a path that goes through a symbolic link below the root (`ServerError` 403). Components that do not
   * exist yet are fine (an upload creates them).
   */
  async #noLinks(path: string): Promise<void> {
    const parts = path.slice(this.#o.root.length + 1).split(sep);
    let cur = this.#o.root;
    for (const part of parts) {
      cur = join(cur, part);
      const st = await Deno.lstat(cur).catch(() => undefined);
      if (!st) return;
      if (st.isSymlink) {
        throw new ServerError(403, 0, `Refused: "${cur.slice(this.#o.root.length + 1)}" is a symbolic link`);
      }
    }
  }

  #within(segments: string[]): string | undefined {
    const full = join(this.#o.root, ...segments);
    return full.startsWith(this.#o.root + sep) ? full : undefined;
  }

  async #download(urlPath: string, headOnly: boolean): Promise<Reply> {
    const path = this.#target(urlPath);
    if (!path) return textReply(400, `Invalid file path "${urlPath}"`);
    await this.#noLinks(path);
    const st = await Deno.lstat(path).catch(() => undefined);
    if (!st?.isFile) return textReply(404, `File not found: "${urlPath}"`);
    const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    const type = CONTENT_TYPES[ext] ?? "application/octet-stream";
    const name = path.slice(path.lastIndexOf(sep) + 1);
    return {
      status: 200,
      headers: {
        "content-type": type,
        ...FILE_HEADERS,
        ...(ACTIVE_TYPES.has(type)
          ? { "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}` }
          : {}),
        "last-modified": (st.mtime ?? new Date()).toUTCString(),
      },
      body: { path, size: st.size },
      headOnly,
    };
  }

  async #delete(urlPath: string): Promise<Reply> {
    const path = this.#target(urlPath);
    if (!path) return textReply(400, `Invalid file path "${urlPath}"`);
    await this.#noLinks(path);
    const st = await Deno.lstat(path).catch(() => undefined);
    if (!st?.isFile) return textReply(404, `File not found: "${urlPath}"`);
    await Deno.remove(path);
    return jsonReply(200, { deleted: urlPath.replace(/^\/+/, "") });
  }

  /** Store every file part under its field name (the SDK's object path); answers the stored paths. */
  async #upload(call: IncomingCall, urlPath: string): Promise<Reply> {
    const boundary = multipartBoundary(call.headers.get("content-type") ?? "");
    if (!boundary) return textReply(400, "Expected a multipart/form-data upload");
    const cap = this.#o.maxUploadBytes ?? MAX_UPLOAD_BYTES;
    const declared = Number(call.headers.get("content-length") ?? "0");
    if (declared > cap) return { ...textReply(413, `Upload too large: limit_bytes=${cap}`), close: true };
    // A POST to `/files/sub` stores parts under `sub/` (the SDK posts to the files server's base URL).
    const base = urlPath.replace(/^\/+|\/+$/g, "") === "" ? [] : decodedSegments(urlPath);
    if (!base) return textReply(400, `Invalid file path "${urlPath}"`);
    const tmpRoot = join(this.#o.root, TMP_DIR);
    await Deno.mkdir(tmpRoot, { recursive: true });
    const done: { tmp: string; target: string; name: string }[] = [];
    const open: string[] = [];
    let current: Deno.FsFile | undefined;
    let total = 0;
    try {
      await readMultipart(capped(call.body, cap, () => (total = cap + 1)), boundary, async (info) => {
        const name = [...base, info.name || info.filename || ""].join("/");
        const segments = safeSegments(name);
        const target = segments && this.#within(segments);
        if (!target) throw new ServerError(400, 0, `Invalid file path "${name}"`);
        const tmp = join(tmpRoot, crypto.randomUUID());
        open.push(tmp);
        const file = current = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
        const sink: PartSink = {
          write: async (chunk) => {
            for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
          },
          close: () => {
            file.close();
            current = undefined;
            done.push({ tmp, target, name: segments.join("/") });
            return Promise.resolve();
          },
        };
        return sink;
      });
      for (const f of done) {
        await this.#noLinks(f.target);
        await Deno.mkdir(dirname(f.target), { recursive: true }).catch((err) => {
          throw new ServerError(409, 0, `Cannot store "${f.name}": a file is in the way`, { cause: err });
        });
        await this.#noLinks(f.target);
        if ((await Deno.lstat(f.target).catch(() => undefined))?.isDirectory) {
          throw new ServerError(409, 0, `Cannot store "${f.name}": a folder of that name exists`);
        }
        await Deno.rename(f.tmp, f.target);
      }
      this.#o.log.debug(`files: stored ${done.map((f) => f.name).join(", ") || "nothing"}`);
      return jsonReply(200, done.map((f) => f.name));
    } catch (err) {
      if (total > cap) return { ...textReply(413, `Upload too large: limit_bytes=${cap}`), close: true };
      throw err;
    } finally {
      current?.close();
      for (const tmp of open) await Deno.remove(tmp).catch(() => {});
    }
  }
}

/** The percent-decoded segments of a URL path, or `undefined` when unsafe (an encoded slash is not a separator). */
function decodedSegments(urlPath: string): string[] | undefined {
  let decoded: string[];
  try {
    decoded = urlPath.split("/").map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (decoded.some((s) => s.includes("/"))) return undefined;
  return safeSegments(decoded.join("/"));
}

/** Pass chunks through, failing once more than `cap` bytes went by. */
async function* capped(
  chunks: AsyncIterable<Uint8Array>,
  cap: number,
  onOver: () => void,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const c of chunks) {
    total += c.length;
    if (total > cap) {
      onOver();
      throw new ServerError(413, 0, `Upload too large: limit_bytes=${cap}`);
    }
    yield c;
  }
}
