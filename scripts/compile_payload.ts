/**
 * Read back what `deno compile` embedded in an executable, and check it: the baked permissions equal the `agent`
 * set of `deno.json`, every module `main.ts` imports dynamically is embedded, and nothing excluded slipped in.
 *
 * The payload of a Deno 2.9 executable is appended to the runtime (after the marker `d3n0l4nd`): a JSON metadata
 * object (`{"argv":..., "permissions": {...}, ...}`), then, among binary parts, the embedded file tree as JSON
 * (`[{"File": {"n": name}}, {"Dir": {"n": name, "e": [...]}}, ...]`). This reader depends on that layout, which is
 * pinned with the compiler (package.json `deno`); a different layout fails loudly, never silently.
 *
 * @module
 */

/** What the executable carries. */
export interface Payload {
  /** The metadata object (`permissions`, `entrypoint_key`, ...). */
  metadata: Record<string, unknown>;
  /** Embedded files, relative paths with `/` (directories end in `/`). */
  files: string[];
}

const encoder = new TextEncoder();

function lastIndexOf(haystack: Uint8Array, needle: Uint8Array, before = haystack.length): number {
  outer: for (let i = Math.min(before, haystack.length - needle.length); i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The end (exclusive) of the JSON value starting at `start` (an object or array), or -1. */
function jsonEnd(bytes: Uint8Array, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function parseJsonAt(bytes: Uint8Array, start: number, what: string): unknown {
  const end = jsonEnd(bytes, start);
  if (end < 0) throw new Error(`Cannot read the embedded ${what}: unterminated JSON`);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(start, end)));
}

type VfsEntry = Record<string, { n: string; e?: VfsEntry[] }>;

function walk(entries: VfsEntry[], prefix: string, out: string[]): void {
  for (const entry of entries) {
    for (const [kind, node] of Object.entries(entry)) {
      if (kind === "Dir") {
        out.push(`${prefix}${node.n}/`);
        walk(node.e ?? [], `${prefix}${node.n}/`, out);
      } else {
        out.push(`${prefix}${node.n}`);
      }
    }
  }
}

/** Read the payload of a compiled executable's bytes. Throws when the layout is not the expected one. */
export function readPayload(bytes: Uint8Array): Payload {
  const metaStart = lastIndexOf(bytes, encoder.encode('{"argv":'));
  const marker = metaStart < 0 ? -1 : lastIndexOf(bytes, encoder.encode("d3n0l4nd"), metaStart);
  if (marker < 0 || metaStart - marker > 64) {
    throw new Error("Cannot find the deno compile metadata: no d3n0l4nd marker before a metadata object");
  }
  const metadata = parseJsonAt(bytes, metaStart, "metadata") as Record<string, unknown>;
  const metaEnd = jsonEnd(bytes, metaStart);
  const vfsStart = indexOf(bytes, encoder.encode('[{"'), metaEnd);
  if (vfsStart < 0) throw new Error("Cannot find the embedded file list after the metadata");
  const files: string[] = [];
  walk(parseJsonAt(bytes, vfsStart, "file list") as VfsEntry[], "", files);
  return { metadata, files };
}

/** A permission of a `deno.json` permission set: `true`, a list of scopes, or `{ allow, deny }`. */
type PermissionValue = boolean | string[] | { allow?: boolean | string[]; deny?: boolean | string[] };

const PERMISSION_KINDS = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;

function expectedAllow(value: PermissionValue | undefined): string[] | null {
  const allow = value !== null && typeof value === "object" && !Array.isArray(value) ? value.allow : value;
  if (allow === true) return [];
  if (Array.isArray(allow)) return allow;
  return null;
}

/** Inputs of `payloadProblems`. */
export interface PayloadExpectations {
  /** The permission set from `deno.json` (`permissions.agent`). */
  permissionSet: Record<string, PermissionValue>;
  /** Paths (relative to the root) that must be embedded, e.g. each `import("./lib/cli/x.ts")` of main.ts. */
  required: readonly string[];
  /** Path prefixes (relative to the root) that must not be embedded. */
  excluded: readonly string[];
}

/** What is wrong with a payload, one sentence each (empty: all good). */
export function payloadProblems(payload: Payload, expect: PayloadExpectations): string[] {
  const problems: string[] = [];
  const perms = (payload.metadata.permissions ?? {}) as Record<string, unknown>;
  for (const kind of PERMISSION_KINDS) {
    const want = expectedAllow(expect.permissionSet[kind]);
    const got = perms[`allow_${kind}`] ?? null;
    const same = want === null
      ? got === null
      : Array.isArray(got) && got.length === want.length && (want.length > 0 || got.length === 0);
    if (!same) {
      problems.push(`Permission "${kind}" is ${JSON.stringify(got)} in the binary, expected ${JSON.stringify(want)}`);
    }
  }
  const files = new Set(payload.files);
  for (const path of expect.required) {
    if (!files.has(path)) problems.push(`Module "${path}" is not embedded`);
  }
  for (const prefix of expect.excluded) {
    const found = payload.files.find((f) => f === prefix || f.startsWith(prefix.replace(/\/?$/, "/")));
    if (found) problems.push(`Excluded path "${prefix}" is embedded ("${found}")`);
  }
  return problems;
}

/** The modules a source file imports with a literal relative `import("...")`, relative to its folder. */
export function literalDynamicImports(source: string): string[] {
  return [...source.matchAll(/\bimport\(\s*["']\.\/([^"']+)["']\s*\)/g)].map((m) => m[1]);
}
