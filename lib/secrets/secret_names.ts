/**
 * What counts as a secret by name: the environment variables whose values are hidden in printed docker commands
 * (reference §8.7) and the name pattern that marks any other variable as one.
 *
 * @module
 */

/** Env names whose values are hidden in docker arguments (§8.7). */
export const DOCKER_SECRET_ENV = [
  "CLEARML_AGENT_GIT_PASS",
  "TRAINS_AGENT_GIT_PASS",
  "CLEARML_API_SECRET_KEY",
  "TRAINS_API_SECRET_KEY",
  "CLEARML_API_ACCESS_KEY",
  "TRAINS_API_ACCESS_KEY",
  "AWS_SECRET_ACCESS_KEY",
  "AZURE_STORAGE_KEY",
  "CLEARML_AUTH_TOKEN",
];

/** A variable name that looks like it holds a secret. */
export const SECRET_NAME = /SECRET|PASSW|TOKEN|KEY|CREDENTIAL|AUTH/i;

/** True for a variable name that looks like it holds a secret (masked in printouts, redacted in logs). */
export function looksSecret(name: string, extraKeys: readonly string[] = []): boolean {
  return SECRET_NAME.test(name) || DOCKER_SECRET_ENV.includes(name) || extraKeys.includes(name);
}
