/**
 * `deno task compile [--target NAME]... [--download] [--out-dir DIR]`: build the self-contained executables
 * `dist/clearml-agent-{linux,darwin}-{x64,arm64}`, `dist/SHA256SUMS`, `dist/install.sh` and `dist/cloud-init.yaml`
 * (the release assets). `--assets-only` builds nothing: it writes `SHA256SUMS` over the binaries already in the
 * output folder (built one per runner by the release workflow), and the two scripts.
 *
 * The release address is one setting: `CLEARML_AGENT_BASE_URL` of the build (default: this project's GitHub
 * releases) is written into the `RELEASE_BASE_URL=""` line of `install.sh` and `cloud-init.yaml`.
 *
 * Each build runs `deno compile` with the arguments of `compileArgs()` (permission set `agent` of deno.json, the
 * launcher's), then reads the result back (`compile_payload.ts`) and refuses a binary whose baked permissions or
 * embedded modules are not what they must be. `deno compile` needs the `denort` runtime of the target:
 * - `DENORT_BIN=/path/to/denort` uses that file; it serves exactly one target, read from its header. Without
 *   `--target` that target is built; naming another target is an error.
 * - `--download` lets `deno compile` fetch each runtime from dl.deno.land (needs that site).
 * - neither: one line saying what is missing, exit 1 (build and CI machines here reach only package registries).
 *
 * The version is `VERSION` of lib/version.ts; deno.json and package.json must carry the same, or nothing is built.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { VERSION } from "../lib/version.ts";
import {
  ADDRESSED_ASSETS,
  ALL_TARGETS,
  binaryName,
  compileArgs,
  devOnlyModules,
  EXCLUDES,
  executableTarget,
  parseTarget,
  PERMISSION_SET,
  planCompile,
  releaseBaseUrl,
  sha256sums,
  type Target,
  withReleaseBaseUrl,
} from "./compile_plan.ts";
import { literalDynamicImports, type Payload, payloadProblems, readPayload } from "./compile_payload.ts";
import { ASSETS_MODULE, renderAssetsModule } from "./build_web.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const USAGE = "usage: deno task compile [--target NAME]... [--download] [--assets-only] [--out-dir DIR]";

class CompileError extends Error {
  override name = "CompileError";
}

interface Cli {
  requested: Target[];
  download: boolean;
  assetsOnly: boolean;
  outDir: string;
}

function parseCli(argv: readonly string[]): Cli {
  const cli: Cli = { requested: [], download: false, assetsOnly: false, outDir: join(ROOT, "dist") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new CompileError(`Missing the value of ${arg}: ${USAGE}`);
      return argv[++i];
    };
    if (arg === "--download") cli.download = true;
    else if (arg === "--assets-only") cli.assetsOnly = true;
    else if (arg === "--out-dir") cli.outDir = resolve(value());
    else if (arg === "--target") {
      const name = value();
      const target = parseTarget(name);
      if (!target) throw new CompileError(`Unknown target "${name}": choose from ${ALL_TARGETS.join(", ")}`);
      cli.requested.push(target);
    } else throw new CompileError(`Unknown argument "${arg}": ${USAGE}`);
  }
  return cli;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(path));
}

/** The permission set `agent` from deno.json, after checking that the launcher task uses the same set. */
function launcherPermissionSet(): Record<string, never> {
  const denoJson = readJson(join(ROOT, "deno.json"));
  const sets = (denoJson.permissions ?? {}) as Record<string, Record<string, never>>;
  const set = sets[PERMISSION_SET];
  if (!set) throw new CompileError(`deno.json has no permission set "${PERMISSION_SET}"`);
  const task = String((denoJson.tasks as Record<string, unknown> | undefined)?.agent ?? "");
  if (!task.includes(`-P=${PERMISSION_SET}`)) {
    throw new CompileError(`The deno.json task "agent" does not run with -P=${PERMISSION_SET}: "${task}"`);
  }
  return set;
}

function checkVersions(): void {
  for (const file of ["deno.json", "package.json"]) {
    const version = readJson(join(ROOT, file)).version;
    if (version !== VERSION) {
      throw new CompileError(
        `Version mismatch: ${file} says "${version}", lib/version.ts says "${VERSION}" (lib/version.ts is the source)`,
      );
    }
  }
}

function readHead(path: string): Uint8Array {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch (err) {
    throw new CompileError(`DENORT_BIN "${path}" cannot be read: ${(err as Error).message}`);
  }
  try {
    const head = new Uint8Array(64);
    const n = file.readSync(head) ?? 0;
    return head.subarray(0, n);
  } finally {
    file.close();
  }
}

function shown(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function build(target: Target, denortBin: string | undefined, outDir: string): Promise<void> {
  const env: Record<string, string> = denortBin ? { NO_COLOR: "1", DENORT_BIN: denortBin } : { NO_COLOR: "1" };
  const out = await new Deno.Command(Deno.execPath(), {
    args: compileArgs({
      target,
      root: ROOT,
      outDir,
      devOnly: devOnlyModules(Deno.readTextFileSync(join(ROOT, "package-lock.json"))),
    }),
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = join(outDir, binaryName(target));
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim();
    throw new CompileError(`deno compile failed for "${target}" (exit ${out.code}): ${text.split("\n").join(" | ")}`);
  }
  const main = Deno.readTextFileSync(join(ROOT, "main.ts"));
  let payload: Payload;
  try {
    payload = readPayload(await Deno.readFile(output));
  } catch (err) {
    throw new CompileError(`Cannot check the binary for "${target}": ${(err as Error).message}`, { cause: err });
  }
  const problems = payloadProblems(payload, {
    permissionSet: launcherPermissionSet(),
    required: ["main.ts", relative(ROOT, ASSETS_MODULE), ...literalDynamicImports(main)],
    excluded: EXCLUDES,
  });
  if (problems.length > 0) {
    await Deno.remove(output);
    throw new CompileError(`The binary for "${target}" is wrong, removed it: ${problems.join("; ")}`);
  }
}

async function writeSums(outDir: string): Promise<number> {
  const entries: { name: string; sha256: string }[] = [];
  for (const target of ALL_TARGETS) {
    const path = join(outDir, binaryName(target));
    try {
      if (!Deno.statSync(path).isFile) continue;
    } catch {
      continue;
    }
    entries.push({ name: binaryName(target), sha256: await sha256(path) });
  }
  if (entries.length === 0) return 0;
  const tmp = join(outDir, `.SHA256SUMS.${crypto.randomUUID()}`);
  Deno.writeTextFileSync(tmp, sha256sums(entries));
  Deno.renameSync(tmp, join(outDir, "SHA256SUMS"));
  return entries.length;
}

/** Write the scripts that carry the release address, filled in with `baseUrl`. */
function writeAddressedAssets(outDir: string, baseUrl: string): void {
  for (const name of ADDRESSED_ASSETS) {
    const text = withReleaseBaseUrl(Deno.readTextFileSync(join(ROOT, "scripts", name)), baseUrl, name);
    const tmp = join(outDir, `.${name}.${crypto.randomUUID()}`);
    Deno.writeTextFileSync(tmp, text, { mode: name.endsWith(".sh") ? 0o755 : 0o644 });
    Deno.renameSync(tmp, join(outDir, name));
  }
}

/** Run the compile task; resolves to the exit code. */
export async function runCompile(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  try {
    const cli = parseCli(argv);
    checkVersions();
    launcherPermissionSet();
    // The web page goes into the binary through lib/server/web/_assets.ts: it must hold the current page.
    if (Deno.readTextFileSync(ASSETS_MODULE) !== renderAssetsModule()) {
      throw new CompileError(`${relative(ROOT, ASSETS_MODULE)} is stale: run deno run -A scripts/build_web.ts`);
    }
    let baseUrl: string;
    try {
      baseUrl = releaseBaseUrl(env);
    } catch (err) {
      throw new CompileError((err as Error).message);
    }
    if (cli.assetsOnly) {
      if (cli.requested.length > 0 || cli.download) throw new CompileError(`--assets-only builds nothing: ${USAGE}`);
      const count = await writeSums(cli.outDir);
      if (count === 0) throw new CompileError(`No binaries in "${shown(cli.outDir)}" to list in SHA256SUMS`);
      console.log(`wrote ${shown(join(cli.outDir, "SHA256SUMS"))} (${count} files)`);
      writeAddressedAssets(cli.outDir, baseUrl);
      console.log(`wrote ${ADDRESSED_ASSETS.join(", ")} for ${baseUrl}`);
      return 0;
    }
    const denortBin = env.DENORT_BIN ? resolve(env.DENORT_BIN) : undefined;
    const plan = planCompile({
      requested: cli.requested,
      denortBin,
      denortTarget: denortBin ? executableTarget(readHead(denortBin)) : undefined,
      download: cli.download,
      denoVersion: Deno.version.deno,
    });
    if (!plan.ok) throw new CompileError(plan.error);
    Deno.mkdirSync(cli.outDir, { recursive: true });
    for (const run of plan.runs) {
      await build(run.target, run.denortBin, cli.outDir);
      const path = join(cli.outDir, binaryName(run.target));
      const size = (Deno.statSync(path).size / 1e6).toFixed(1);
      console.log(`built ${shown(path)} (${size} MB, version ${VERSION})`);
    }
    const count = await writeSums(cli.outDir);
    console.log(`wrote ${shown(join(cli.outDir, "SHA256SUMS"))} (${count} files)`);
    // The installer is a release asset too: `.../releases/latest/download/install.sh | sh`.
    writeAddressedAssets(cli.outDir, baseUrl);
    console.log(`wrote ${ADDRESSED_ASSETS.join(", ")} for ${baseUrl}`);
    return 0;
  } catch (err) {
    if (!(err instanceof CompileError)) throw err;
    console.error(`compile: error: ${err.message}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await runCompile(Deno.args, Deno.env.toObject()));
}
