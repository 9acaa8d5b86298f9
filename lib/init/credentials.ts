/**
 * The credentials block users paste into `init`: the `api { ... }` snippet the web app's "Create new
 * credentials" or our `clearml-agent server` prints. Read with the clearml.conf reader; the credentials and
 * hosts are taken from the `api` section or, as older web apps wrote them, from the top level. The credentials
 * must be exactly `{access_key, secret_key}` (the reference's rule). Pure.
 *
 * @module
 */

import { parseHocon } from "../config/hocon.ts";

/** Key pair. */
export interface Credentials {
  accessKey: string;
  secretKey: string;
}

/** What a pasted block says. */
export interface PastedBlock {
  /** Undefined when the block has no usable credentials. */
  credentials?: Credentials;
  apiServer?: string;
  webServer?: string;
  filesServer?: string;
  /** Why the credentials are unusable (for the error line). */
  problem?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function field(tree: Record<string, unknown>, names: readonly string[]): unknown {
  const api = isObject(tree.api) ? tree.api : undefined;
  for (const name of names) if (api && api[name] !== undefined) return api[name];
  for (const name of names) if (tree[name] !== undefined) return tree[name];
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * True when `line` ends a pasted block: the line is exactly `}` (trailing blanks allowed), as the reference's
 * reader stops; the nested `}` of `credentials { }` is indented and does not stop it.
 */
export function endsBlock(line: string): boolean {
  return line.trimEnd() === "}";
}

/** Read a pasted block; never throws (a syntax error is reported in `problem`). */
export function parsePastedBlock(input: string): PastedBlock {
  let tree: Record<string, unknown>;
  try {
    tree = parseHocon(input, { filename: "<pasted>", env: () => undefined, readFile: () => "" });
  } catch (err) {
    return { problem: `cannot read it: ${(err as Error).message.replace(/^<pasted>:/, "line ")}` };
  }
  const out: PastedBlock = {
    apiServer: text(field(tree, ["api_server", "host"])),
    webServer: text(field(tree, ["web_server"])),
    filesServer: text(field(tree, ["files_server"])),
  };
  const creds = field(tree, ["credentials"]);
  if (!isObject(creds)) return { ...out, problem: "no credentials { access_key, secret_key } in it" };
  const keys = Object.keys(creds).sort().join(",");
  const accessKey = text(creds.access_key);
  const secretKey = text(creds.secret_key);
  if (keys !== "access_key,secret_key" || !accessKey || !secretKey) {
    return { ...out, problem: "its credentials must be exactly access_key and secret_key, both set" };
  }
  return { ...out, credentials: { accessKey, secretKey } };
}

/** `abcd***`: the first four characters of a secret, as the wizard shows it. */
export function secretHint(secret: string): string {
  return secret.slice(0, 4) + "***";
}
