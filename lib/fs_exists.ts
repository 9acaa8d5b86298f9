/**
 * The one place that asks whether a path exists, and as what. Each answer is `false` for a missing path and for one
 * that cannot be looked at (no permission), which is what every caller wants: "can I use this path as a ...".
 *
 * @module
 */

function stat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** True when `path` exists (following links). */
export function exists(path: string): boolean {
  return stat(path) !== undefined;
}

/** True when `path` is a regular file (following links). */
export function isFile(path: string): boolean {
  return stat(path)?.isFile ?? false;
}

/** True when `path` is a folder (following links). */
export function isDir(path: string): boolean {
  return stat(path)?.isDirectory ?? false;
}
