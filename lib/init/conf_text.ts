/**
 * The clearml.conf that `init` writes, in the reference's layout (agent-reference §1.8 step 6): an `api` block
 * with the three hosts and the credentials, the git credentials and extra index URLs as dotted `agent.*` keys,
 * the optional `sdk.development.default_output_uri`, then an `agent { }` block with the keys users edit most,
 * at their built-in defaults, each with its description (from our configuration schema, so the file never
 * disagrees with what the agent reads). Every value is a quoted string.
 *
 * Also the safe write: the text goes to a temporary file (mode 0600) in the same folder, which is then linked
 * into place only if the target still does not exist — no partial file, never an overwrite.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { SCHEMA } from "../config/config_schema.ts";
import { getPath, Key, type SectionShape } from "../config/schema.ts";

/** What the file holds. */
export interface ConfValues {
  apiServer: string;
  webServer: string;
  filesServer: string;
  accessKey: string;
  secretKey: string;
  gitUser?: string;
  gitPass?: string;
  extraIndexUrls: readonly string[];
  outputUri?: string;
}

/** Keys of the `agent { }` block, as dotted paths under `agent`. */
const AGENT_KEYS = [
  "worker_id",
  "worker_name",
  "force_git_ssh_protocol",
  "python_binary",
  "package_manager.type",
  "package_manager.system_site_packages",
  "venvs_dir",
  "venvs_cache.path",
  "vcs_cache.path",
  "default_docker.image",
];

function q(value: string): string {
  return JSON.stringify(value);
}

function hoconValue(value: unknown): string {
  if (typeof value === "string") return q(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(hoconValue).join(", ")}]`;
  return q(String(value ?? ""));
}

function keyOf(path: string): Key | undefined {
  const node = getPath(SCHEMA.agent as unknown as SectionShape, path);
  return node instanceof Key ? node : undefined;
}

/**
 * The `agent { }` block: the keys users edit most at their defaults, with their descriptions; `git` adds the
 * git credentials first (the block `init` suggests adding to an existing file).
 */
export function agentBlock(git?: { user?: string; pass?: string }): string {
  const lines = ["agent {"];
  if (git) {
    lines.push(
      "    # git credentials for cloning HTTPS repositories (empty: SSH keys or public repositories)",
      `    git_user: ${q(git.user ?? "")}`,
      `    git_pass: ${q(git.pass ?? "")}`,
      "",
    );
  }
  for (const path of AGENT_KEYS) {
    const key = keyOf(path);
    if (!key) continue;
    const value = key.options.packaged ?? key.options.fallback ?? "";
    lines.push(`    # ${key.doc}`, `    ${path}: ${hoconValue(value)}`, "");
  }
  if (lines.at(-1) === "") lines.pop();
  lines.push("}");
  return lines.join("\n");
}

/** The file's text. */
export function renderConf(v: ConfValues): string {
  const parts = [
    "# ClearML agent configuration, written by clearml-agent init",
    "api {",
    "    # The API server (port 8008 on a self-hosted ClearML server), not the web application",
    `    api_server: ${q(v.apiServer)}`,
    `    web_server: ${q(v.webServer)}`,
    `    files_server: ${q(v.filesServer)}`,
    "    # CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY override these",
    `    credentials {"access_key": ${q(v.accessKey)}, "secret_key": ${q(v.secretKey)}}`,
    "}",
    "",
    "# git credentials for cloning HTTPS repositories (empty: SSH keys or public repositories)",
    `agent.git_user=${q(v.gitUser ?? "")}`,
    `agent.git_pass=${q(v.gitPass ?? "")}`,
    "",
    "# extra package indexes used when installing the tasks' requirements",
    "agent.package_manager.extra_index_url= [",
    ...v.extraIndexUrls.map(q),
    "]",
    "",
  ];
  if (v.outputUri) {
    parts.push(
      "# where tasks store models and artifacts unless they say otherwise",
      `sdk.development.default_output_uri=${q(v.outputUri)}`,
      "",
    );
  }
  parts.push(agentBlock(), "");
  return parts.join("\n");
}

/**
 * Write `text` to `path` with mode 0600, all or nothing: never over an existing file (throws `AlreadyExists`),
 * never a partial file.
 */
export async function writeNewFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o600, createNew: true });
    await Deno.chmod(tmp, 0o600);
    // A hard link fails if the target exists: an existing file is never replaced, even by a race. Where the
    // file system has no hard links, a rename after an existence check does (with a tiny race window).
    try {
      await Deno.link(tmp, path);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) throw err;
      if (await Deno.lstat(path).then(() => true, () => false)) throw new Deno.errors.AlreadyExists(path);
      await Deno.rename(tmp, path);
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}
