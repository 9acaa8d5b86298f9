/**
 * The command line, defined once: every subcommand and flag of the reference clearml-agent (plus our own `server`
 * and `task`), parsed with `commander` into a `ParsedCommand`, then validated (`args_validate.ts`). A subcommand
 * with more than a few flags keeps them next to it (`daemon_args.ts`, `execute_args.ts`, `server_args.ts`, …); the
 * shared ones are in `args_shared.ts`.
 *
 * Global options (`--config-file`, `--debug`/`-d`) come before the subcommand, as with argparse; `-d` after `daemon`
 * means `--detached`. `--config-file` is also accepted after the subcommand.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { UsageError } from "./errors.ts";
import type { GlobalOptions, ParsedCommand } from "./args_types.ts";
import { SUBCOMMANDS } from "./args_types.ts";
import { addConfigFile, type Subcommands } from "./args_shared.ts";
import { addDaemonCommand } from "./daemon_args.ts";
import { addExecuteCommands } from "./execute_args.ts";
import { addInitCommand } from "./init_args.ts";
import { addInstallServiceCommand } from "./install_service_args.ts";
import { addK8sGlueCommand } from "./k8s_glue_args.ts";
import { addServerCommand } from "./server_args.ts";
import { PROGRAM_NAME } from "../version.ts";

const HEADER = "CLEARML-AGENT Deep Learning DevOps";

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
  const s: Subcommands = { sub, global, onParsed };

  addExecuteCommands(s);

  const list = addConfigFile(sub("list", "List the workers registered on the server"))
    .option("--json", "print JSON instead of YAML", false);
  list.action(() => onParsed({ kind: "list", global: global(list), options: { json: Boolean(list.opts().json) } }));

  addDaemonCommand(s);

  const config = addConfigFile(sub("config", "Print the effective configuration (secrets masked)"))
    .option("--json", "print JSON", false)
    .option("--show-secrets", "do not mask secrets", false);
  config.action(() => {
    const o = config.opts();
    onParsed({ kind: "config", global: global(config), options: { json: o.json, showSecrets: o.showSecrets } });
  });

  addInitCommand(s);

  addServerCommand(s);

  const task = addConfigFile(sub("task", "Create, enqueue, list, watch and abort tasks (no Python needed)"))
    .argument("[verb]", "create | enqueue | dequeue | list | show | logs | abort | reset | clone | delete")
    .argument("[args...]", "arguments of the verb")
    .allowUnknownOption(true)
    .helpOption(false);
  task.action((verb: string | undefined, args: string[]) => {
    onParsed({ kind: "task", global: global(task), options: { verb, args } });
  });

  addInstallServiceCommand(s);

  const doctor = addConfigFile(sub("doctor", "Check this machine: config, server, clock, Python, Docker, GPUs, disk"))
    .option("--docker", "docker mode is intended: Docker checks are required", false);
  doctor.action(() => {
    onParsed({ kind: "doctor", global: global(doctor), options: { docker: Boolean(doctor.opts().docker) } });
  });

  addK8sGlueCommand(s);

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
