/**
 * The command line, defined once: every subcommand and flag of the reference clearml-agent (plus our own `server`
 * and `task`), parsed with `commander` into a `ParsedCommand`, then validated (`args_validate.ts`).
 *
 * Global options (`--config-file`, `--debug`/`-d`) come before the subcommand, as with argparse; `-d` after `daemon`
 * means `--detached`. `--config-file` is also accepted after the subcommand.
 *
 * @module
 */

import { Command, CommanderError, Option } from "commander";
import { UsageError } from "./errors.ts";
import type { DockerOption, GlobalOptions, ParsedCommand, WorkerOptions } from "./args_types.ts";
import { SUBCOMMANDS } from "./args_types.ts";
import { validateBuild, validateDaemon, validateExecute } from "./args_validate.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";

const HEADER = "CLEARML-AGENT Deep Learning DevOps";

const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL"];

function count(_value: unknown, previous: number): number {
  return previous + 1;
}

function integer(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`argument ${flag}: invalid int value: '${value}'`);
    return Number(value);
  };
}

function addWorkerArgs(cmd: Command): Command {
  return cmd
    .option("-O", "Python optimization level for the task interpreter (-O, -OO)", count, 0)
    .option("--git-user <user>", "git username (also agent.git_user)")
    .option("--git-pass <password>", "git password or token (also agent.git_pass)")
    .addOption(
      new Option("--log-level <level>", "task log level").argParser((v: string) => {
        const up = v.toUpperCase();
        if (!LOG_LEVELS.includes(up)) {
          throw new UsageError(`argument --log-level: invalid choice: '${v}' (choose from ${LOG_LEVELS.join(", ")})`);
        }
        return up;
      }).default("INFO"),
    )
    .option("--gpus <spec>", "GPUs for the task: 0 | 0,1 | 0-3 | all | MIG 0:1")
    .option("--cpu-only", "run with no GPU (NVIDIA_VISIBLE_DEVICES=none)", false);
}

function addConfigFile(cmd: Command): Command {
  return cmd.option("--config-file <path>", "use this configuration file (default ~/clearml.conf)");
}

function docker(value: unknown): DockerOption | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { args: [] };
  const values = (value as string[]).flatMap((v) => v.trim().split(/\s+/)).filter((v) => v !== "");
  return values.length === 0 ? { args: [] } : { image: values[0], args: values.slice(1) };
}

function workerOptions(o: Record<string, unknown>): WorkerOptions {
  return {
    optimization: (o.O as number) ?? 0,
    gitUser: o.gitUser as string | undefined,
    gitPass: o.gitPass as string | undefined,
    logLevel: (o.logLevel as WorkerOptions["logLevel"]) ?? "INFO",
    gpus: o.gpus as string | undefined,
    cpuOnly: Boolean(o.cpuOnly),
  };
}

/** A repeatable option: each use adds its value. */
function repeated(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Build the commander program; `onParsed` receives the result of the subcommand that ran. */
function buildProgram(onParsed: (cmd: ParsedCommand) => void): Command {
  const program = new Command(PROGRAM_NAME)
    .exitOverride()
    .enablePositionalOptions()
    .helpOption(false)
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .option("--config-file <path>", "use this configuration file (default ~/clearml.conf)")
    .option("-d, --debug", "debug mode: more output, tracebacks, temp files kept", false)
    .option("--debug-wire", "log every API request and answer, secrets masked (CLEARML_AGENT_DEBUG_WIRE=1)", false)
    .option("--version", "print the version");

  const global = (sub: Command): GlobalOptions => {
    const g = program.opts();
    const s = sub.opts();
    return {
      configFile: (s.configFile ?? g.configFile) as string | undefined,
      debug: Boolean(g.debug),
      debugWire: Boolean(g.debugWire || s.debugWire),
    };
  };
  const sub = (name: string, description: string) =>
    program.command(name).description(description).exitOverride().configureOutput({
      writeOut: () => {},
      writeErr: () => {},
      outputError: () => {},
    });

  const execute = addWorkerArgs(addConfigFile(sub("execute", "Build and execute a task (one run, no queue)")))
    .requiredOption("--id <task>", "task id (or name) to execute")
    .option("--log-file <path>", "write the task's stdout/stderr to this file")
    .option("--disable-monitoring", "do not report status, stats and logs (used by the daemon)", false)
    .option("--full-monitoring", "behave as a one-task daemon: logs, abort, ping, final status", false)
    .option("--require-queue", "fail unless the task is queued", false)
    .option("--standalone-mode", "no clone, no package install (pre-built environment)", false)
    .option("--docker [image_and_args...]", "run the task inside a container")
    .option("--clone", "clone the task and execute the clone", false);
  execute.action(() => {
    const o = execute.opts();
    onParsed({
      kind: "execute",
      global: global(execute),
      options: validateExecute({
        ...workerOptions(o),
        id: o.id,
        logFile: o.logFile,
        disableMonitoring: o.disableMonitoring,
        fullMonitoring: o.fullMonitoring,
        requireQueue: o.requireQueue,
        standaloneMode: o.standaloneMode,
        docker: docker(o.docker),
        clone: o.clone,
      }),
    });
  });

  const build = addWorkerArgs(
    addConfigFile(sub("build", "Build a task's environment (or a docker image) without running it")),
  )
    .requiredOption("--id <task>", "task id (or name) to build")
    .option("--target <dir_or_image>", "where to build: a folder, or with --docker an image name")
    .option("--install-globally", "install into the system interpreter instead of a venv", false)
    .option("--docker [image_and_args...]", "build a docker image for the task")
    .option("--force-docker", "ignore the task's container section", false)
    .option("--python-version <x.y>", "python version for the environment")
    .addOption(new Option("--entry-point <mode>", "image entry point").choices(["reuse_task", "clone_task"]));
  build.action(() => {
    const o = build.opts();
    onParsed({
      kind: "build",
      global: global(build),
      options: validateBuild({
        ...workerOptions(o),
        id: o.id,
        target: o.target,
        installGlobally: o.installGlobally,
        docker: docker(o.docker),
        forceDocker: o.forceDocker,
        pythonVersion: o.pythonVersion,
        entryPoint: o.entryPoint,
      }),
    });
  });

  const list = addConfigFile(sub("list", "List the workers registered on the server"))
    .option("--json", "print JSON instead of YAML", false);
  list.action(() => onParsed({ kind: "list", global: global(list), options: { json: Boolean(list.opts().json) } }));

  const daemon = addWorkerArgs(addConfigFile(sub("daemon", "Run a worker: pull tasks from queues and run them")))
    .option("--queue <queues...>", "queue ids or names, highest priority first (default: the default queue)")
    .option("--order-fairness", "round-robin over the queues instead of strict priority", false)
    .option("--polling-interval <seconds>", "seconds between queue polls when idle", integer("--polling-interval"))
    .option("--foreground", "print everything to the console", false)
    .option("-d, --detached", "run in the background, detached from the terminal", false)
    .option("--docker [image_and_args...]", "run each task inside a container")
    .option("--force-current-version", "accepted for compatibility: the container always runs this binary", false)
    .option("--standalone-mode", "no clone, no package install", false)
    .option("--services-mode [instances]", "run many long-lived tasks at once (N at most)", integer("--services-mode"))
    .option("--child-report-tags <tags...>", "tags for the workers' status reports")
    .option("--create-queue", "create queues that do not exist", false)
    .option("--stop [worker_ids...]", "stop a running daemon of this machine (or the given worker ids)")
    .option("--drain", "with --stop: let running tasks finish, take no new ones, then exit", false)
    .option("--dynamic-gpus", "allocate GPUs per task from --gpus, by queue size (queue=N)", false)
    .option("--uptime [spans...]", 'working hours, e.g. "17-20 MON-FRI"')
    .option("--downtime [spans...]", 'non-working hours, e.g. "9-17 MON-FRI"')
    .option("--status", "print the schedule and forcing status, then exit", false)
    .option("--use-owner-token", "run tasks with the task owner's token (enterprise servers)", false);
  daemon.action(() => {
    const o = daemon.opts();
    const services = o.servicesMode === true ? -1 : (o.servicesMode as number | undefined);
    onParsed({
      kind: "daemon",
      global: global(daemon),
      options: validateDaemon({
        ...workerOptions(o),
        queues: (o.queue as string[] | undefined) ?? [],
        orderFairness: o.orderFairness,
        pollingInterval: o.pollingInterval,
        foreground: o.foreground,
        detached: o.detached,
        docker: docker(o.docker),
        forceCurrentVersion: o.forceCurrentVersion,
        standaloneMode: o.standaloneMode,
        servicesMode: services,
        childReportTags: o.childReportTags,
        createQueue: o.createQueue,
        stop: o.stop === undefined ? undefined : o.stop === true ? [] : o.stop,
        drain: o.drain,
        dynamicGpus: o.dynamicGpus,
        uptime: o.uptime === true ? [] : o.uptime,
        downtime: o.downtime === true ? [] : o.downtime,
        status: o.status,
        useOwnerToken: o.useOwnerToken,
      }),
    });
  });

  const config = addConfigFile(sub("config", "Print the effective configuration (secrets masked)"))
    .option("--json", "print JSON", false)
    .option("--show-secrets", "do not mask secrets", false);
  config.action(() => {
    const o = config.opts();
    onParsed({ kind: "config", global: global(config), options: { json: o.json, showSecrets: o.showSecrets } });
  });

  const init = addConfigFile(sub("init", "Create ~/clearml.conf interactively (or from flags)"))
    .option("--credentials <text>", "the api { ... } block from the web app or the server ('-' reads stdin)")
    .option("--access-key <key>", "API access key")
    .option("--secret-key <secret>", "API secret key")
    .option("--api-server <url>", "API server URL")
    .option("--web-server <url>", "web server URL")
    .option("--files-server <url>", "files server URL")
    .option("--git-user <user>", "git user")
    .option("--git-pass <password>", "git password or token")
    .option("--extra-index-url <urls...>", "extra pip index URLs")
    .option("--output-uri <uri>", "default output URI for the SDK")
    .option("--target <path>", "write this file instead of ~/clearml.conf")
    .option("-y, --non-interactive", "ask nothing: take every value from flags and defaults", false)
    .option("--no-verify", "do not check the credentials against the server");
  init.action(() => {
    const o = init.opts();
    onParsed({
      kind: "init",
      global: global(init),
      options: {
        credentials: o.credentials,
        accessKey: o.accessKey,
        secretKey: o.secretKey,
        apiServer: o.apiServer,
        webServer: o.webServer,
        filesServer: o.filesServer,
        gitUser: o.gitUser,
        gitPass: o.gitPass,
        extraIndexUrl: o.extraIndexUrl,
        outputUri: o.outputUri,
        target: o.target,
        nonInteractive: o.nonInteractive,
        noVerify: o.verify === false,
      },
    });
  });

  const server = addConfigFile(sub("server", "Run the embedded ClearML-API server (SQLite)"))
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", integer("--port"), 8008)
    .option("--data-dir <dir>", "data folder (default ~/.clearml/server)")
    .option("--detached", "run in the background", false)
    .option("--stop", "stop the server running on --data-dir", false)
    .option("--insecure-open", "accept requests without credentials (local experiments only)", false)
    .option("--debug-wire", "log every request and answer, secrets masked", false)
    .option("--no-long-poll", "behave like a real ClearML server: no queue long poll (tests, benchmarks)")
    .option("--allow-origin <origin>", "a web origin allowed to call the API (repeatable)", repeated, [])
    .option("--allow-host <name>", "another Host name the server answers to (repeatable)", repeated, []);
  server.action(() => {
    const o = server.opts();
    if (o.port < 0 || o.port > 65535) throw new UsageError(`argument --port: out of range: ${o.port}`);
    onParsed({
      kind: "server",
      global: global(server),
      options: {
        host: o.host,
        port: o.port,
        dataDir: o.dataDir,
        detached: o.detached,
        stop: o.stop,
        insecureOpen: o.insecureOpen,
        allowOrigins: o.allowOrigin,
        allowHosts: o.allowHost,
        longPoll: o.longPoll !== false,
      },
    });
  });

  const task = addConfigFile(sub("task", "Create, enqueue, list, watch and abort tasks (no Python needed)"))
    .argument("[verb]", "create | enqueue | dequeue | list | show | logs | abort | reset | clone | delete")
    .argument("[args...]", "arguments of the verb")
    .allowUnknownOption(true)
    .helpOption(false);
  task.action((verb: string | undefined, args: string[]) => {
    onParsed({ kind: "task", global: global(task), options: { verb, args } });
  });

  const service = addConfigFile(sub("install-service", "Write a systemd unit that runs the daemon as a service"))
    .option("--queue <queues...>", "queues for the daemon (default: the default queue)")
    .option("--docker [image_and_args...]", "run each task inside a container")
    .option("--user <user>", "account the service runs as (default root)")
    .option("--gpus <spec>", "GPUs of the worker: 0 | 0,1 | all")
    .option("--cpu-only", "run with no GPU", false)
    .option("--create-queue", "create the queues if they do not exist", false)
    .option("--name <name>", "unit name", "clearml-agent")
    .option("--binary <path>", "the clearml-agent executable (default: this one)")
    .option("--unit-dir <dir>", "where to write the unit", "/etc/systemd/system")
    .option("--env-file <path>", "credentials file, mode 0600 (default /etc/clearml-agent/<name>.env)")
    .option(
      "--stop-timeout <seconds>",
      "how long a stop may drain before SIGKILL (0: forever)",
      integer("--stop-timeout"),
      1800,
    )
    .option("--print", "print the unit; write nothing", false);
  service.action(() => {
    const o = service.opts();
    if (!/^[A-Za-z0-9_.@-]+$/.test(o.name)) throw new UsageError(`argument --name: invalid unit name: '${o.name}'`);
    if (o.stopTimeout < 0) throw new UsageError(`argument --stop-timeout: must be 0 or more: ${o.stopTimeout}`);
    onParsed({
      kind: "install-service",
      global: global(service),
      options: {
        queues: (o.queue as string[] | undefined) ?? [],
        docker: docker(o.docker),
        user: o.user,
        gpus: o.gpus,
        cpuOnly: o.cpuOnly,
        createQueue: o.createQueue,
        name: o.name,
        binary: o.binary,
        unitDir: o.unitDir,
        envFile: o.envFile,
        stopTimeout: o.stopTimeout,
        print: o.print,
      },
    });
  });

  const doctor = addConfigFile(sub("doctor", "Check this machine: config, server, clock, Python, Docker, GPUs, disk"))
    .option("--docker", "docker mode is intended: Docker checks are required", false);
  doctor.action(() => {
    onParsed({ kind: "doctor", global: global(doctor), options: { docker: Boolean(doctor.opts().docker) } });
  });

  const glue = addConfigFile(sub("k8s-glue", "Turn queued tasks into Kubernetes pods (one pod per task)"))
    .option("--queue <queues...>", "queues to pull from, in priority order (also comma-separated)")
    .option("--namespace <name>", "namespace of the pods (a template's metadata.namespace wins)", "clearml")
    .option("--template-yaml <file>", "pod manifest every task's pod starts from (CLEARML_K8S_GLUE_KIND=pod)")
    .option("--overrides-yaml <file>", "merged into the template; only containers[0].resources of its containers")
    .option("--max-pods <n>", "at most this many pods pending or running", integer("--max-pods"))
    .option("--pod-clearml-conf <file>", "configuration handed to pods (default: the glue's own)")
    .option("--create-queue", "create the queues if they do not exist", false)
    .option("--pending-queue <name>", "queue tasks wait in until their pod runs", "k8s_scheduler")
    .option(
      "--agent-image <image>",
      "image that carries the clearml-agent binary (copied into each pod by an init container)",
      Deno.env.get("CLEARML_K8S_GLUE_AGENT_IMAGE") ?? `clearml-agent-deno:${VERSION}`,
    )
    .option(
      "--stuck-timeout <seconds>",
      "fail a task whose pod is unschedulable or cannot pull its image for this long",
      integer("--stuck-timeout"),
      0,
    )
    .option("--polling-interval <seconds>", "seconds between pod checks", integer("--polling-interval"), 1)
    .option("--foreground", "print progress (default: warnings and tasks only)", false)
    .option("--ports-mode", "not implemented yet: one service port per pod")
    .option("--num-of-services <n>", "not implemented yet (ports mode)")
    .option("--base-port <port>", "not implemented yet (ports mode)")
    .option("--base-pod-num <n>", "not implemented yet (ports mode)")
    .option("--gateway-address <address>", "not implemented yet (ports mode)")
    .option("--ssh-server-port <port>", "not implemented yet: SSH server in each pod")
    .option("--use-owner-token", "not implemented yet: run each task with its owner's token");
  glue.action(() => {
    const o = glue.opts();
    if (o.maxPods !== undefined && o.maxPods < 1) throw new UsageError(`argument --max-pods: must be 1 or more`);
    if (o.stuckTimeout < 0) throw new UsageError(`argument --stuck-timeout: must be 0 or more`);
    if (o.pollingInterval < 1) throw new UsageError(`argument --polling-interval: must be 1 or more`);
    const unimplemented: [string, string][] = [
      ["portsMode", "--ports-mode"],
      ["numOfServices", "--num-of-services"],
      ["basePort", "--base-port"],
      ["basePodNum", "--base-pod-num"],
      ["gatewayAddress", "--gateway-address"],
      ["sshServerPort", "--ssh-server-port"],
      ["useOwnerToken", "--use-owner-token"],
    ];
    onParsed({
      kind: "k8s-glue",
      global: global(glue),
      options: {
        queues: ((o.queue as string[] | undefined) ?? []).flatMap((q) => q.split(",")).map((q) => q.trim())
          .filter((q) => q !== ""),
        namespace: o.namespace,
        templateYaml: o.templateYaml,
        overridesYaml: o.overridesYaml,
        maxPods: o.maxPods,
        podClearmlConf: o.podClearmlConf,
        createQueue: o.createQueue,
        pendingQueue: o.pendingQueue,
        agentImage: o.agentImage,
        stuckTimeout: o.stuckTimeout,
        pollingInterval: o.pollingInterval,
        foreground: o.foreground,
        notImplemented: unimplemented.filter(([key]) => o[key] !== undefined).map(([, flag]) => flag),
      },
    });
  });

  return program;
}

function helpText(detailed: boolean): string {
  const lines: string[] = [HEADER, ""];
  const program = buildProgram(() => {});
  lines.push(`usage: ${PROGRAM_NAME} [-h] [--help] [--version] [--config-file CONFIG_FILE] [--debug]`);
  lines.push(`                     {${SUBCOMMANDS.join(",")}} ...`, "");
  lines.push("commands:");
  for (const cmd of program.commands) lines.push(`  ${cmd.name().padEnd(15)} ${cmd.description()}`);
  lines.push("", "options:");
  lines.push("  -h                    show a short help and exit");
  lines.push("  --help                show the help of every command and exit");
  lines.push("  --version             print the version and exit");
  lines.push("  --config-file PATH    use this configuration file (default ~/clearml.conf)");
  lines.push("  -d, --debug           debug mode");
  if (detailed) {
    for (const cmd of program.commands) {
      lines.push("", `${PROGRAM_NAME} ${cmd.name()}: ${cmd.description()}`);
      lines.push(cmd.helpInformation().replace(/^Usage: /, "usage: ").trimEnd());
    }
  }
  return lines.join("\n") + "\n";
}

/** Help text of one subcommand (`daemon --help`). */
export function subcommandHelp(name: string): string | undefined {
  const cmd = buildProgram(() => {}).commands.find((c) => c.name() === name);
  return cmd ? `${HEADER}\n\n${cmd.helpInformation().replace(/^Usage: /, "usage: ")}` : undefined;
}

/**
 * Parse argv (without the program name). Throws `UsageError` (exit 2) for anything argparse would reject.
 */
export function parseArgs(argv: readonly string[]): ParsedCommand {
  const args = [...argv];
  if (args.length === 0) return { kind: "help", detailed: false, text: helpText(false) };
  const subIndex = args.findIndex((a) => (SUBCOMMANDS as readonly string[]).includes(a));
  const globals = subIndex < 0 ? args : args.slice(0, subIndex);
  if (globals.includes("-h")) return { kind: "help", detailed: false, text: helpText(false) };
  if (globals.includes("--help")) return { kind: "help", detailed: true, text: helpText(true) };
  if (globals.includes("--version")) return { kind: "version" };
  if (subIndex >= 0 && args[subIndex] !== "task") {
    const rest = args.slice(subIndex + 1);
    if (rest.includes("-h") || rest.includes("--help")) {
      return { kind: "help", detailed: false, text: subcommandHelp(args[subIndex]) ?? helpText(false) };
    }
  }
  let parsed: ParsedCommand | undefined;
  const program = buildProgram((cmd) => (parsed = cmd));
  try {
    program.parse(args, { from: "user" });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof CommanderError) {
      throw new UsageError(err.message.replace(/^error: /, ""));
    }
    throw err;
  }
  if (!parsed) {
    if (program.opts().version) return { kind: "version" };
    return { kind: "help", detailed: false, text: helpText(false) };
  }
  return parsed;
}
