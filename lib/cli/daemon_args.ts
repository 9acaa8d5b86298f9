/**
 * The flags of `daemon`: queues, polling, docker mode, services mode, stop and drain, GPUs and schedules.
 *
 * @module
 */

import { addConfigFile, addWorkerArgs, docker, integer, type Subcommands, workerOptions } from "./args_shared.ts";
import { validateDaemon } from "./args_validate.ts";

/** Declare `daemon` on the program. */
export function addDaemonCommand(s: Subcommands): void {
  const { sub, global, onParsed } = s;
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
}
