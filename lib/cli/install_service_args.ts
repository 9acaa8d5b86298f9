/**
 * The flags of `install-service`: what the systemd unit runs (queues, docker, GPUs, user) and where it is written.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { addConfigFile, docker, integer, type Subcommands } from "./args_shared.ts";

/** Declare `install-service` on the program. */
export function addInstallServiceCommand(s: Subcommands): void {
  const { sub, global, onParsed } = s;
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
}
