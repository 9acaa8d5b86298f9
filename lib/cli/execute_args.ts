/**
 * The flags of `execute` (one task run) and `build` (a task's environment or docker image without running it).
 *
 * @module
 */

import { Option } from "commander";
import { addConfigFile, addWorkerArgs, docker, type Subcommands, workerOptions } from "./args_shared.ts";
import { validateBuild, validateExecute } from "./args_validate.ts";

/** Declare `execute`, `build` on the program. */
export function addExecuteCommands(s: Subcommands): void {
  const { sub, global, onParsed } = s;
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
}
