/**
 * What every subcommand's flag table shares: the worker flags of `execute`, `build` and `daemon`, `--config-file`
 * after the subcommand, the `--docker [image args]` and integer readers, and how a subcommand is declared and
 * reports what it parsed (`Subcommands`, built by `args.ts`).
 *
 * @module
 */

import { type Command, Option } from "commander";
import { UsageError } from "./errors.ts";
import type { DockerOption, GlobalOptions, ParsedCommand, WorkerOptions } from "./args_types.ts";

/** How a flag table declares its subcommand and hands back what was parsed (`args.ts` makes one). */
export interface Subcommands {
  /** A new subcommand of the program. */
  sub(name: string, description: string): Command;
  /** The global options as seen by a subcommand. */
  global(cmd: Command): GlobalOptions;
  /** Receives the parsed command. */
  onParsed(cmd: ParsedCommand): void;
}

const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL"];

export function count(_value: unknown, previous: number): number {
  return previous + 1;
}

export function integer(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`argument ${flag}: invalid int value: '${value}'`);
    return Number(value);
  };
}

export function addWorkerArgs(cmd: Command): Command {
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

export function addConfigFile(cmd: Command): Command {
  return cmd.option("--config-file <path>", "use this configuration file (default ~/clearml.conf)");
}

export function docker(value: unknown): DockerOption | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { args: [] };
  const values = (value as string[]).flatMap((v) => v.trim().split(/\s+/)).filter((v) => v !== "");
  return values.length === 0 ? { args: [] } : { image: values[0], args: values.slice(1) };
}

export function workerOptions(o: Record<string, unknown>): WorkerOptions {
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
export function repeated(value: string, previous: string[]): string[] {
  return [...previous, value];
}
