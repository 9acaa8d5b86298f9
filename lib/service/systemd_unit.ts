/**
 * The systemd unit and its environment file for running `clearml-agent daemon` as a service, as pure text
 * (landscape §2: "Run as a proper service", clearml-agent#210, #225). `lib/cli/install_service.ts` writes them.
 *
 * The unit runs the daemon in the foreground (systemd owns the process; logs go to the journal), restarts it always
 * (no start-rate limit), and stops it by draining: `ExecStop` runs `daemon --stop --drain`, which must return only
 * once the daemon has exited (running tasks finished). Then systemd sends SIGTERM to the main process only
 * (`KillMode=mixed`) and, after `TimeoutStopSec`, SIGKILL to the whole group. Credentials never appear in the unit:
 * they live in the `EnvironmentFile` (0600).
 *
 * @module
 */

/** What the service runs. */
export interface ServiceSpec {
  /** Unit name without `.service`, e.g. `clearml-agent`. */
  name: string;
  /** How to start the agent: `[binary]`, or the launcher `[deno, "run", "-P=agent", ..., "main.ts"]`. */
  agent: string[];
  /** Queues to listen on (empty: the server's default queue). */
  queues: string[];
  /** `--docker`: absent → venv mode; `{}` → the default image; image and its arguments otherwise. */
  docker?: { image?: string; args: string[] };
  /** `--gpus` spec for the worker. */
  gpus?: string;
  cpuOnly?: boolean;
  createQueue?: boolean;
  /** `--config-file` for the daemon (default: the service user's `~/clearml.conf`). */
  configFile?: string;
  /** Account the daemon runs as (default root). */
  user?: string;
  /** The environment file with the credentials. */
  envFile: string;
  /** Seconds systemd waits for the drain before SIGKILL; 0 waits forever. */
  stopTimeoutSec: number;
  /** Who wrote the unit, for its header comment (`clearml-agent 0.1.0`). */
  writtenBy: string;
}

/** The variables copied from the installing environment into the environment file (ClearML's names). */
export const SERVICE_ENV_VARS = [
  "CLEARML_API_HOST",
  "CLEARML_WEB_HOST",
  "CLEARML_FILES_HOST",
  "CLEARML_API_ACCESS_KEY",
  "CLEARML_API_SECRET_KEY",
  "CLEARML_API_HOST_VERIFY_CERT",
  "CLEARML_AGENT_GIT_USER",
  "CLEARML_AGENT_GIT_PASS",
  "CLEARML_AGENT_GIT_HOST",
  "CLEARML_WORKER_NAME",
  "CLEARML_WORKER_ID",
] as const;

function assertOneLine(what: string, value: string): void {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new TypeError(
      `Cannot put ${what} ${JSON.stringify(value)} in a systemd unit: it contains a control character`,
    );
  }
}

/**
 * One word of an `ExecStart=` line: `%` and `$` doubled (no specifier or variable expansion), quoted with C escapes
 * when it holds whitespace, quotes, a backslash or `;`, or is empty.
 */
export function execWord(word: string): string {
  assertOneLine("the argument", word);
  const s = word.replace(/[%$]/g, (c) => c + c);
  if (s !== "" && !/[\s"'\\;]/.test(s)) return s;
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** An `Exec*=` command line from argv. */
export function execLine(argv: readonly string[]): string {
  if (!argv[0]?.startsWith("/")) throw new TypeError(`The service command must be an absolute path: "${argv[0]}"`);
  return argv.map(execWord).join(" ");
}

/** The flags that identify the worker, given to both the daemon and `daemon --stop` (which finds it by them). */
function identityArgs(spec: ServiceSpec): string[] {
  const args: string[] = [];
  if (spec.configFile) args.push("--config-file", spec.configFile);
  if (spec.gpus) args.push("--gpus", spec.gpus);
  if (spec.cpuOnly) args.push("--cpu-only");
  return args;
}

/** The argv of the service's main process. */
export function daemonArgv(spec: ServiceSpec): string[] {
  const args = [...spec.agent, "daemon", "--foreground", ...identityArgs(spec)];
  if (spec.queues.length > 0) args.push("--queue", ...spec.queues);
  if (spec.createQueue) args.push("--create-queue");
  if (spec.docker) {
    // One word for image and arguments: the daemon splits it, and `--ipc=host` must not read as a daemon flag.
    const value = [spec.docker.image ?? "", ...spec.docker.args].filter((w) => w !== "").join(" ");
    args.push("--docker", ...(value ? [value] : []));
  }
  return args;
}

/** The argv of `ExecStop`: drain this worker and wait until it has exited. */
export function stopArgv(spec: ServiceSpec): string[] {
  // The queues too: `--stop` finds the daemon started with the same arguments (lib/worker/daemon_stop.ts).
  const queues = spec.queues.length > 0 ? ["--queue", ...spec.queues] : [];
  return [...spec.agent, "daemon", "--stop", "--drain", ...identityArgs(spec), ...queues];
}

/** The unit file text. */
export function systemdUnit(spec: ServiceSpec): string {
  assertOneLine("the environment file", spec.envFile);
  if (spec.user !== undefined && !/^[a-zA-Z_][a-zA-Z0-9_.-]*$/.test(spec.user)) {
    throw new TypeError(`Cannot run the service as "${spec.user}": not a valid user name`);
  }
  const queues = spec.queues.length > 0 ? spec.queues.join(", ") : "default";
  const wants = ["network-online.target", ...(spec.docker ? ["docker.service"] : [])].join(" ");
  const timeout = spec.stopTimeoutSec > 0 ? String(spec.stopTimeoutSec) : "infinity";
  const lines = [
    `# Written by ${spec.writtenBy} install-service.`,
    `# Credentials are in ${spec.envFile} (mode 0600), never in this file.`,
    "[Unit]",
    `Description=ClearML Agent (queues: ${queues}${spec.docker ? "; docker mode" : ""})`,
    "Documentation=https://clear.ml/docs/latest/docs/clearml_agent",
    `After=${wants}`,
    `Wants=${wants}`,
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=simple",
    ...(spec.user ? [`User=${spec.user}`] : []),
    "WorkingDirectory=~",
    `EnvironmentFile=${spec.envFile}`,
    `ExecStart=${execLine(daemonArgv(spec))}`,
    `ExecStop=${execLine(stopArgv(spec))}`,
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${timeout}`,
    "Restart=always",
    "RestartSec=10",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
  ];
  return lines.join("\n") + "\n";
}

/** A value for an environment file: double-quoted, with `\`, `"`, `$` and backquote escaped. */
function envValue(value: string): string {
  assertOneLine("the value", value);
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/**
 * The environment file text for these variables (only the ones set, in `SERVICE_ENV_VARS` order), keeping the
 * assignments of `previous` (the file being replaced) to any other variable. With nothing to write, a commented
 * template to fill in.
 */
export function environmentFile(
  env: Readonly<Record<string, string | undefined>>,
  writtenBy: string,
  previous = "",
): string {
  const set = SERVICE_ENV_VARS.filter((name) => env[name] !== undefined && env[name] !== "");
  const kept = previous.split("\n").filter((line) => {
    const m = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/);
    return m !== null && !(set as readonly string[]).includes(m[1]);
  });
  const header = [
    `# Written by ${writtenBy} install-service: the agent service's credentials. Keep this file mode 0600.`,
    "# Read by systemd (EnvironmentFile=); values override the service user's ~/clearml.conf.",
  ];
  if (set.length === 0 && kept.length === 0) {
    return [
      ...header,
      "# No CLEARML_* variables were set at install time: fill these in, or rely on ~/clearml.conf.",
      "#CLEARML_API_HOST=https://api.clear.ml",
      "#CLEARML_API_ACCESS_KEY=",
      "#CLEARML_API_SECRET_KEY=",
    ].join("\n") + "\n";
  }
  return [...header, ...set.map((name) => `${name}=${envValue(env[name]!)}`), ...kept].join("\n") + "\n";
}
