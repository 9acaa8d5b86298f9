/**
 * clearml-agent: the entry point. Parses argv, dispatches to one file per subcommand in `lib/cli/`, prints errors
 * as one line, and is the only place that exits the process.
 *
 * @module
 */

import { parseArgs } from "./lib/cli/args.ts";
import { exitCodeFor, formatError } from "./lib/cli/errors.ts";
import { versionLine } from "./lib/version.ts";
import type { ParsedCommand } from "./lib/cli/args_types.ts";
import { log } from "./lib/logger.ts";
import { dropPermissions } from "./lib/cli/permissions.ts";
import { enterUserFolder } from "./lib/cli/user_folder.ts";

/** Run one command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let cmd: ParsedCommand;
  try {
    cmd = parseArgs(argv);
    enterUserFolder(); // relative paths are the caller's, also through `npx deno task agent` (before any revoke)
  } catch (err) {
    console.error(formatError(err, argv.includes("--debug")));
    return exitCodeFor(err);
  }
  // Least privilege: from here on the process has only what this command line needs (lib/cli/permissions.ts).
  await dropPermissions(cmd);
  const debug = "global" in cmd && cmd.global.debug;
  if (debug) log.setLevel("debug");
  // The API client (and every agent process started from this one) reads the variable.
  if ("global" in cmd && cmd.global.debugWire) Deno.env.set("CLEARML_AGENT_DEBUG_WIRE", "1");
  try {
    switch (cmd.kind) {
      case "help":
        await Deno.stdout.write(new TextEncoder().encode(cmd.text));
        return 0;
      case "version":
        console.log(versionLine());
        return 0;
      case "daemon":
        return await (await import("./lib/cli/daemon.ts")).runDaemonCommand(cmd.global, cmd.options);
      case "execute":
        return await (await import("./lib/cli/execute.ts")).runExecuteCommand(cmd.global, cmd.options);
      case "build":
        return await (await import("./lib/cli/build.ts")).runBuildCommand(cmd.global, cmd.options);
      case "list":
        return await (await import("./lib/cli/list.ts")).runListCommand(cmd.global, cmd.options);
      case "config":
        return await (await import("./lib/cli/config.ts")).runConfigCommand(cmd.global, cmd.options);
      case "init":
        return await (await import("./lib/cli/init.ts")).runInitCommand(cmd.global, cmd.options);
      case "server":
        return await (await import("./lib/cli/server.ts")).runServerCommand(cmd.global, cmd.options);
      case "task":
        return await (await import("./lib/cli/task.ts")).runTaskCommand(cmd.global, cmd.options);
      case "install-service":
        return await (await import("./lib/cli/install_service.ts")).runInstallServiceCommand(cmd.global, cmd.options);
      case "doctor":
        return await (await import("./lib/cli/doctor.ts")).runDoctorCommand(cmd.global, cmd.options);
      case "k8s-glue":
        return await (await import("./lib/cli/k8s_glue.ts")).runK8sGlueCommand(cmd.global, cmd.options);
      default: {
        const unreachable: never = cmd;
        throw new Error(`Unhandled command ${JSON.stringify(unreachable)}`);
      }
    }
  } catch (err) {
    console.error(formatError(err, debug));
    return exitCodeFor(err);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
