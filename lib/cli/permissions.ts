/**
 * Least privilege per subcommand: the one table of the Deno permissions each command line keeps, and
 * `dropPermissions()`, which `main.ts` calls right after parsing to revoke every other permission for the rest of the
 * process (`Deno.permissions.revoke`). The binary is compiled with every permission (Deno 2.9 reads `/proc` only with
 * all of them, and the daemon's process trees and machine stats need `/proc`), so the narrowing happens here.
 *
 * Deno can revoke a permission as a whole, not narrow a global grant to some paths: a row that keeps `write` keeps
 * it for every path. docs/security.md ("Permissions per subcommand") lists the same rows (a test compares them).
 *
 * @module
 */

import type { ParsedCommand } from "./args_types.ts";
import { probePermissions, probeRequested } from "./_permission_probe.ts";

/** The permissions Deno grants the agent (the `agent` set of deno.json), in a fixed order. */
export const PERMISSION_NAMES = ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const;

/** One permission name. */
export type PermissionName = typeof PERMISSION_NAMES[number];

/** One row of the table: what a command line keeps, and why. */
export interface PermissionRow {
  /** The command line this row covers, as a user writes it. */
  command: string;
  keeps: readonly PermissionName[];
  why: string;
}

const ALL: readonly PermissionName[] = PERMISSION_NAMES;
const PROC = "reads `/proc` (process trees, machine stats), which Deno allows only with every permission";

/** The table: one row per subcommand (and per mode where a mode needs more). */
export const PERMISSION_TABLE: readonly PermissionRow[] = [
  { command: "--version, --help", keeps: [], why: "prints a fixed text" },
  {
    command: "config",
    keeps: ["read", "env", "sys"],
    why: "reads clearml.conf and `CLEARML_*` variables; the host name",
  },
  { command: "list", keeps: ["read", "env", "sys", "net"], why: "config, then asks the server" },
  {
    command: "task create",
    keeps: ["read", "env", "sys", "net", "run"],
    why: "config, the server, and `git` for the script's repository (commit, diff, remote)",
  },
  {
    command: "task (every other verb)",
    keeps: ["read", "env", "sys", "net"],
    why: "config, then asks the server",
  },
  {
    command: "init",
    keeps: ["read", "write", "env", "sys", "net"],
    why: "writes clearml.conf; verifies the credentials with the server",
  },
  {
    command: "server",
    keeps: ["read", "write", "env", "sys", "net"],
    why: "serves the API and files; reads and writes its data folder",
  },
  {
    command: "server --detached, server --stop",
    keeps: ["read", "write", "env", "sys", "net", "run"],
    why: "also starts the server process, or checks (`ps`) and signals it",
  },
  {
    command: "install-service",
    keeps: ["read", "write", "env", "sys"],
    why: "writes the systemd unit and its credentials file",
  },
  {
    command: "k8s-glue",
    keeps: ["read", "env", "sys", "net"],
    why: "config, templates and the kubeconfig or service account; talks to the server and the Kubernetes API",
  },
  { command: "daemon", keeps: ALL, why: `runs tasks; ${PROC}` },
  { command: "execute", keeps: ALL, why: `runs a task; ${PROC}` },
  { command: "build", keeps: ALL, why: `builds a task's environment; ${PROC}` },
  { command: "doctor", keeps: ALL, why: `runs python, git, docker, nvidia-smi; ${PROC}` },
];

function row(command: string): PermissionRow {
  const found = PERMISSION_TABLE.find((r) => r.command === command);
  if (!found) throw new Error(`No permission row "${command}"`);
  return found;
}

/** The row of a parsed command line. */
export function permissionRow(cmd: ParsedCommand): PermissionRow {
  switch (cmd.kind) {
    case "help":
    case "version":
      return row("--version, --help");
    case "task":
      return row(cmd.options.verb === "create" ? "task create" : "task (every other verb)");
    case "server":
      return row(cmd.options.detached || cmd.options.stop ? "server --detached, server --stop" : "server");
    default:
      return row(cmd.kind);
  }
}

/** The permissions a command line gives up. */
export function droppedPermissions(cmd: ParsedCommand): PermissionName[] {
  const keeps = permissionRow(cmd).keeps;
  return PERMISSION_NAMES.filter((name) => !keeps.includes(name));
}

/**
 * Revoke, for the rest of this process, every permission the command does not keep. Processes it starts get the
 * launcher's permissions again (the compiled binary's, or `-P=agent`), and their own command line decides.
 */
export async function dropPermissions(cmd: ParsedCommand): Promise<void> {
  const probe = probeRequested();
  for (const name of droppedPermissions(cmd)) await Deno.permissions.revoke({ name });
  probePermissions(probe);
}
