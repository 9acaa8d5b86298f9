/**
 * TEST-ONLY hook of `permissions.ts`: with `CLEARML_AGENT_TEST_PERMISSION_PROBE=1` in the environment, right after the
 * permissions are dropped the process tries one harmless action per permission and prints to stderr
 * `permission probe: <name> allowed|refused` (refused means Deno threw `NotCapable`), then goes on with the command.
 * The tests of tests/cli/permissions_test.ts read these lines to prove what a subcommand can no longer do.
 *
 * Every action is harmless and local: stat `/`, create and delete an empty temp file, listen on a random loopback
 * port and close it, read `HOME`, run `true`, read the host name, open a library that does not exist, import a
 * `data:` module, read `/proc/self/stat`.
 *
 * @module
 */

/** The variable that turns the probe on (tests only). */
export const PROBE_VAR = "CLEARML_AGENT_TEST_PERMISSION_PROBE";

const encoder = new TextEncoder();

/** One action per permission; it throws `Deno.errors.NotCapable` when the permission is gone. */
const ACTIONS: Record<string, () => unknown> = {
  read: () => Deno.statSync("/"),
  write: () => Deno.removeSync(Deno.makeTempFileSync({ prefix: "clearml-agent-probe-" })),
  net: () => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close(),
  env: () => Deno.env.get("HOME"),
  run: () => new Deno.Command("true", { stdin: "null", stdout: "null", stderr: "null" }).outputSync(),
  sys: () => Deno.hostname(),
  ffi: () => Deno.dlopen("/nonexistent/clearml-agent-probe.so", {}),
  proc: () => Deno.readTextFileSync("/proc/self/stat"),
};

function outcome(action: () => unknown): "allowed" | "refused" {
  try {
    action();
    return "allowed";
  } catch (err) {
    // Any other failure (no `true` on PATH, no such library) means the permission itself was granted.
    return err instanceof Deno.errors.NotCapable ? "refused" : "allowed";
  }
}

/** Read the switch; call before anything is revoked (reading the environment needs `env`). */
export function probeRequested(): boolean {
  try {
    return Deno.env.get(PROBE_VAR) === "1";
  } catch {
    return false;
  }
}

/** Try each action and report; only when `requested` (from `probeRequested()`). */
export function probePermissions(requested: boolean): void {
  if (!requested) return;
  for (const [name, action] of Object.entries(ACTIONS)) {
    Deno.stderr.writeSync(encoder.encode(`permission probe: ${name} ${outcome(action)}\n`));
  }
}
