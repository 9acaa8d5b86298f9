/**
 * What `execute` and `daemon` set up alike: the loaded configuration (secrets registered), the API client built
 * from it, path expansion, and the GPU selection a worker runs with.
 *
 * @module
 */

import { join } from "node:path";
import { ApiClient } from "../api/client.ts";
import type { AgentConfig } from "../config/config_schema.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { registerConfigSecrets } from "../config/secrets.ts";
import { gpuEnvironment, parseGpuSpec, visibleDevicesValue } from "../gpus/spec.ts";
import type { WorkerOptions } from "./args_types.ts";
import { envRaw } from "../clearml_env.ts";

/** Load the configuration and register its secrets with the redactor. */
export function loadAgentConfig(configFile: string | undefined): LoadedConfig {
  const loaded = loadConfig({ configFile });
  registerConfigSecrets(loaded);
  return loaded;
}

/** `~` and `$VARS` expansion for configured paths. */
export function expander(home: string = Deno.env.get("HOME") ?? "/root"): (path: string) => string {
  return (path) => {
    const vars = path.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => Deno.env.get(a ?? b) ?? m);
    return vars === "~" ? home : vars.startsWith("~/") ? join(home, vars.slice(2)) : vars;
  };
}

/** The API client of a configuration. */
export function apiClientFor(config: AgentConfig, workerId?: string): ApiClient {
  const host = config.api.api_server ?? config.api.host;
  if (!host) throw new Error("No API server configured: set api.api_server in clearml.conf or CLEARML_API_HOST");
  return new ApiClient({
    host,
    accessKey: config.api.credentials.access_key,
    secretKey: config.api.credentials.secret_key,
    token: envRaw("CLEARML_AUTH_TOKEN"),
    defaultMethod: config.api.http.default_method,
    worker: workerId,
    tokenThresholdSec: config.api.auth.token_expiration_threshold_sec,
    requestTokenExpirationSec: config.api.auth.request_token_expiration_sec,
    verifyCertificate: config.api.verify_certificate,
  });
}

/** True inside Kubernetes, where `--gpus` is ignored (the pod's devices are given). */
function inKubernetes(): boolean {
  return Boolean(Deno.env.get("KUBERNETES_SERVICE_HOST") || Deno.env.get("KUBERNETES_PORT"));
}

/**
 * The GPUs a worker runs with, as the `NVIDIA_VISIBLE_DEVICES` value (`none`, `all`, `0,1`, `0:1`, or undefined
 * for "not restricted"), and the variables its children get: `--cpu-only` → `none`; `--gpus` (expanded: `0-3` →
 * `0,1,2,3`); else what `NVIDIA_VISIBLE_DEVICES` / `CUDA_VISIBLE_DEVICES` already say.
 */
export function gpuSelection(o: Pick<WorkerOptions, "gpus" | "cpuOnly">): {
  visibleDevices?: string;
  env: Record<string, string | undefined>;
} {
  if (o.cpuOnly) return { visibleDevices: "none", env: gpuEnvironment({ kind: "none" }) };
  if (o.gpus && !inKubernetes()) {
    const spec = parseGpuSpec(o.gpus);
    return { visibleDevices: visibleDevicesValue(spec), env: gpuEnvironment(spec) };
  }
  const nvidia = Deno.env.get("NVIDIA_VISIBLE_DEVICES") || undefined;
  const cuda = Deno.env.get("CUDA_VISIBLE_DEVICES") || undefined;
  const value = nvidia ?? cuda;
  if (value === undefined) return { env: {} };
  return { visibleDevices: value.replaceAll(".", ":"), env: { NVIDIA_VISIBLE_DEVICES: value } };
}
