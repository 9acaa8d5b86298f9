/**
 * `clearml-agent install-service [--queue Q...] [--docker [IMAGE ARGS]] [--user U] [--print]`: write the systemd
 * unit of `lib/service/systemd_unit.ts` and its 0600 credentials file, then say how to enable it. `--print` shows the
 * unit and writes nothing. Both files are written aside and renamed into place.
 *
 * The credentials file gets the `CLEARML_*` variables of `SERVICE_ENV_VARS` that are set now; other assignments of
 * an existing file are kept. With none set, an existing file is left as it is (it may hold credentials filled in by
 * hand) and a missing one becomes a template.
 *
 * @module
 */

import { selfCommand } from "../process/self_command.ts";
import { dirname, join } from "node:path";
import type { GlobalOptions, InstallServiceOptions } from "./args_types.ts";
import { UsageError } from "./errors.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";
import { registerSecret } from "../secrets/redact.ts";
import { environmentFile, SERVICE_ENV_VARS, type ServiceSpec, stopArgv, systemdUnit } from "../service/systemd_unit.ts";
import { exists } from "../fs_exists.ts";

/** How this program is started again by the service: the compiled binary itself, or the source launcher. */
export function agentArgv(binary?: string): string[] {
  if (binary) return [binary];
  if (Deno.build.standalone) return [Deno.execPath()];
  return selfCommand({ compiled: false });
}

/** Write `text` next to `path` (not yet in place); returns the temporary path. */
function stage(path: string, text: string, mode: number): string {
  const tmp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  try {
    Deno.writeTextFileSync(tmp, text, { mode });
    Deno.chmodSync(tmp, mode);
    return tmp;
  } catch (err) {
    removeQuietly(tmp);
    const hint = err instanceof Deno.errors.PermissionDenied ? ": run as root, or use --print" : "";
    throw new Error(`Cannot write "${path}"${hint}`, { cause: err });
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // already gone
  }
}

/** Write every file aside first, then rename them all into place: a failure leaves no file half-written. */
function writeAll(files: ReadonlyArray<{ path: string; text: string; mode: number }>): void {
  const staged: Array<[string, string]> = [];
  try {
    for (const f of files) staged.push([stage(f.path, f.text, f.mode), f.path]);
    for (const [tmp, path] of staged) Deno.renameSync(tmp, path);
  } catch (err) {
    for (const [tmp] of staged) removeQuietly(tmp);
    throw err;
  }
}

function readIfAny(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

function makeDir(path: string, mode: number): void {
  try {
    Deno.mkdirSync(path, { recursive: true, mode });
  } catch (err) {
    const hint = err instanceof Deno.errors.PermissionDenied ? ": run as root, or use --print" : "";
    throw new Error(`Cannot create "${path}"${hint}`, { cause: err });
  }
}

/** Run `install-service`; resolves to the exit code. */
export function runInstallServiceCommand(global: GlobalOptions, options: InstallServiceOptions): Promise<number> {
  const env = Deno.env.toObject();
  for (const name of ["CLEARML_API_SECRET_KEY", "CLEARML_AGENT_GIT_PASS"]) registerSecret(env[name]);
  const writtenBy = `${PROGRAM_NAME} ${VERSION}`;
  const envFile = options.envFile ?? `/etc/clearml-agent/${options.name}.env`;
  const spec: ServiceSpec = {
    name: options.name,
    agent: agentArgv(options.binary),
    queues: options.queues,
    docker: options.docker,
    gpus: options.gpus,
    cpuOnly: options.cpuOnly,
    createQueue: options.createQueue,
    configFile: global.configFile,
    user: options.user,
    envFile,
    stopTimeoutSec: options.stopTimeout,
    writtenBy,
  };
  let unit: string;
  try {
    unit = systemdUnit(spec);
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
  if (options.print) {
    return Deno.stdout.write(new TextEncoder().encode(unit)).then(() => 0);
  }

  const unitFile = join(options.unitDir, `${options.name}.service`);
  const given = SERVICE_ENV_VARS.filter((name) => env[name]);
  const writeEnv = given.length > 0 || !exists(envFile);
  makeDir(options.unitDir, 0o755);
  makeDir(dirname(envFile), 0o755);
  writeAll([
    ...(writeEnv ? [{ path: envFile, text: environmentFile(env, writtenBy, readIfAny(envFile)), mode: 0o600 }] : []),
    { path: unitFile, text: unit, mode: 0o644 },
  ]);

  const service = `${options.name}.service`;
  const stop = [PROGRAM_NAME, ...stopArgv(spec).slice(spec.agent.length)].join(" ");
  const lines = [
    `Wrote ${unitFile}`,
    !writeEnv
      ? `Kept ${envFile} as it was (no CLEARML_* credentials variables are set now)`
      : given.length > 0
      ? `Wrote ${envFile} (mode 0600) with ${given.join(", ")}`
      : `Wrote ${envFile} (mode 0600): a template; fill in CLEARML_API_* or give the service user a ~/clearml.conf`,
    "",
    "Enable and start it:",
    "  systemctl daemon-reload",
    `  systemctl enable --now ${service}`,
    "Follow its log:",
    `  journalctl -u ${service} -f`,
    "Stop it after the running task finishes (ExecStop drains the worker):",
    `  systemctl stop ${service}        # runs: ${stop}`,
  ];
  if (options.docker && options.user) {
    lines.push(`Note: add "${options.user}" to the docker group (usermod -aG docker)`);
  }
  return Deno.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n")).then(() => 0);
}
