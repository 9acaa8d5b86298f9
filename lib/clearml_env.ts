/**
 * The typed reader of the `CLEARML_*` variables the agent reads directly (those that map onto configuration keys
 * are applied by `lib/config/env.ts` instead). One list of names, so that a misspelt name is a type error and
 * `grep` finds every variable the agent honours in one place; two ways of reading, matching the reference:
 * `envText` (unset or empty: `undefined`) and `envFlag` (`1`, `true`, `yes`, `y`, `on`, `t`, any case).
 *
 * @module
 */

/** The variables read outside the configuration. */
export const CLEARML_VARIABLES = [
  "CLEARML_AGENT_ABORT_CALLBACK_CMD",
  "CLEARML_AGENT_BUILD_INFO",
  "CLEARML_AGENT_DEBUG_WIRE",
  "CLEARML_AGENT_FORCE_CODE_DIR",
  "CLEARML_AGENT_PROPAGATE_EXITCODE",
  "CLEARML_AGENT_TEMP_STDOUT_FILE_DIR",
  "CLEARML_AGENT_TOOLS_DIR",
  "CLEARML_API_ACCESS_KEY",
  "CLEARML_API_SECRET_KEY",
  "CLEARML_AUTH_TOKEN",
  "CLEARML_CONFIG_FILE",
  "CLEARML_DOCKER_IMAGE",
  "CLEARML_K8S_GLUE_AGENT_IMAGE",
  "CLEARML_K8S_GLUE_KIND",
  "CLEARML_WORKER_ID",
  "CLEARML_WORKER_TAGS",
] as const;

/** A variable of `CLEARML_VARIABLES`. */
export type ClearmlVariable = typeof CLEARML_VARIABLES[number];

/** The variable's value as set, the empty string included (`undefined` when unset). */
export function envRaw(name: ClearmlVariable): string | undefined {
  return Deno.env.get(name);
}

/** The variable's value, or `undefined` when it is unset or empty. */
export function envText(name: ClearmlVariable): string | undefined {
  return Deno.env.get(name) || undefined;
}

/** True when the variable is set to a true word (`1`, `true`, `yes`, `y`, `on`, `t`, any case). */
export function envFlag(name: ClearmlVariable): boolean {
  return /^(1|true|yes|y|on|t)$/i.test(Deno.env.get(name) ?? "");
}
