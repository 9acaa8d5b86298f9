/**
 * The parsed command line: one tagged union member per subcommand, each carrying exactly its own options.
 * Produced by `parseArgs()` in `args.ts`; consumed by the subcommand files in `lib/cli/`.
 *
 * @module
 */

/** Options that precede the subcommand (and `--config-file`, also accepted after it). */
export interface GlobalOptions {
  /** `--config-file PATH`: use only this configuration file. */
  configFile?: string;
  /** `--debug` / `-d` before the subcommand. */
  debug: boolean;
  /** `--debug-wire` (before the subcommand, or after `server`): trace every API request and answer. */
  debugWire?: boolean;
}

/** Flags shared by `execute`, `build` and `daemon` (the reference's WORKER_ARGS). */
export interface WorkerOptions {
  /** `-O` count: Python optimisation level for the task interpreter. */
  optimization: number;
  /** `--git-user` (accepted; the reference ignores it, we use it as `agent.git_user`). */
  gitUser?: string;
  /** `--git-pass` (accepted; the reference ignores it, we use it as `agent.git_pass`). */
  gitPass?: string;
  /** `--log-level`, upper-cased. */
  logLevel: "DEBUG" | "INFO" | "WARN" | "WARNING" | "ERROR" | "CRITICAL";
  /** `--gpus SPEC` as given (validated). */
  gpus?: string;
  /** `--cpu-only`. */
  cpuOnly: boolean;
}

/** `--docker [IMAGE [ARGS...]]`: absent → undefined; bare flag → `{}`; with values → image and args. */
export interface DockerOption {
  image?: string;
  args: string[];
}

/** A `--dynamic-gpus` queue spec: `name=N` or `name=min-max`. */
export interface DynamicQueueSpec {
  queue: string;
  min: number;
  max: number;
}

export interface DaemonOptions extends WorkerOptions {
  queues: string[];
  /** With `--dynamic-gpus`, the parsed `name=N` specs (in the same order as `queues`). */
  dynamicQueues?: DynamicQueueSpec[];
  orderFairness: boolean;
  pollingInterval?: number;
  foreground: boolean;
  detached: boolean;
  docker?: DockerOption;
  forceCurrentVersion: boolean;
  standaloneMode: boolean;
  /** `--services-mode [N]`: undefined when absent, -1 when given without N. */
  servicesMode?: number;
  childReportTags?: string[];
  createQueue: boolean;
  /** `--stop [IDS...]`: undefined when absent, `[]` for "this machine's daemon". */
  stop?: string[];
  /** `--drain` (with `--stop`): let running tasks finish, take no new ones. */
  drain: boolean;
  dynamicGpus: boolean;
  uptime?: string[];
  downtime?: string[];
  status: boolean;
  useOwnerToken: boolean;
}

export interface ExecuteOptions extends WorkerOptions {
  id: string;
  logFile?: string;
  disableMonitoring: boolean;
  fullMonitoring: boolean;
  requireQueue: boolean;
  standaloneMode: boolean;
  docker?: DockerOption;
  clone: boolean;
}

export interface BuildOptions extends WorkerOptions {
  id: string;
  target?: string;
  installGlobally: boolean;
  docker?: DockerOption;
  forceDocker: boolean;
  pythonVersion?: string;
  entryPoint?: "reuse_task" | "clone_task";
}

export interface ListOptions {
  json: boolean;
}

export interface ConfigOptions {
  json: boolean;
  showSecrets: boolean;
}

export interface InitOptions {
  /** Non-interactive: the credentials block text, or `-` for stdin. */
  credentials?: string;
  accessKey?: string;
  secretKey?: string;
  apiServer?: string;
  webServer?: string;
  filesServer?: string;
  gitUser?: string;
  gitPass?: string;
  extraIndexUrl?: string[];
  outputUri?: string;
  /** Write here instead of `~/clearml.conf`. */
  target?: string;
  /** Answer every question with its default (no prompts). */
  nonInteractive: boolean;
  /** Do not contact the server to verify the credentials. */
  noVerify: boolean;
}

export interface ServerOptions {
  host: string;
  port: number;
  dataDir?: string;
  detached: boolean;
  stop: boolean;
  insecureOpen: boolean;
  /** `--allow-origin`, repeated. */
  allowOrigins: string[];
  /** `--allow-host`, repeated. */
  allowHosts: string[];
  /** False with `--no-long-poll`. */
  longPoll: boolean;
}

/** `task <verb> ...`: verb and its raw remaining arguments, parsed by `lib/cli/task.ts`. */
export interface TaskOptions {
  verb?: string;
  args: string[];
}

/** `install-service`: write a systemd unit that runs the daemon (lib/service/systemd_unit.ts). */
export interface InstallServiceOptions {
  queues: string[];
  docker?: DockerOption;
  /** Account the service runs as (default root). */
  user?: string;
  gpus?: string;
  cpuOnly: boolean;
  createQueue: boolean;
  /** Unit name without `.service`. */
  name: string;
  /** The agent executable the unit runs (default: this binary, or the launcher when run from source). */
  binary?: string;
  unitDir: string;
  /** Credentials file (default `/etc/clearml-agent/<name>.env`). */
  envFile?: string;
  /** Seconds systemd waits for the drain on stop; 0 waits forever. */
  stopTimeout: number;
  /** Print the unit instead of writing anything. */
  print: boolean;
}

/** `doctor`: preflight checks (lib/doctor/). */
export interface DoctorOptions {
  /** Docker mode is intended: the Docker checks are required. */
  docker: boolean;
}

/** `k8s-glue`: queued tasks become Kubernetes pods (lib/k8s/, executors/kubernetes/). */
export interface K8sGlueOptions {
  queues: string[];
  namespace: string;
  templateYaml?: string;
  overridesYaml?: string;
  maxPods?: number;
  podClearmlConf?: string;
  createQueue: boolean;
  pendingQueue: string;
  agentImage: string;
  /** Seconds a pod may be unschedulable or without its image before its task fails. */
  stuckTimeout: number;
  /** Seconds between pod checks. */
  pollingInterval: number;
  foreground: boolean;
  /** Options of the reference accepted but not implemented yet (their flags, as given). */
  notImplemented: string[];
}

/** A parsed command line. */
export type ParsedCommand =
  | { kind: "help"; detailed: boolean; text: string }
  | { kind: "version" }
  | { kind: "daemon"; global: GlobalOptions; options: DaemonOptions }
  | { kind: "execute"; global: GlobalOptions; options: ExecuteOptions }
  | { kind: "build"; global: GlobalOptions; options: BuildOptions }
  | { kind: "list"; global: GlobalOptions; options: ListOptions }
  | { kind: "config"; global: GlobalOptions; options: ConfigOptions }
  | { kind: "init"; global: GlobalOptions; options: InitOptions }
  | { kind: "server"; global: GlobalOptions; options: ServerOptions }
  | { kind: "task"; global: GlobalOptions; options: TaskOptions }
  | { kind: "install-service"; global: GlobalOptions; options: InstallServiceOptions }
  | { kind: "doctor"; global: GlobalOptions; options: DoctorOptions }
  | { kind: "k8s-glue"; global: GlobalOptions; options: K8sGlueOptions };

/** The subcommand names, in help order. */
export const SUBCOMMANDS = [
  "execute",
  "build",
  "list",
  "daemon",
  "config",
  "init",
  "server",
  "task",
  "install-service",
  "doctor",
  "k8s-glue",
] as const;
