/**
 * `clearml-agent doctor [--docker]`: preflight checks of this machine, one line each as it completes
 * (`[ ok ]`, `[FAIL]`, `[warn]` for an optional check, `[skip]`), then a summary; exit 1 when a required check
 * fails. The checks live in `lib/doctor/`; this file gathers their inputs from the configuration and environment.
 *
 * Required: config, server (reachable, credentials accepted), clock skew, Python (not with `--docker`), git, disk.
 * Optional unless the mode needs them: uv (required when `agent.package_manager.type` is uv), Docker and the NVIDIA
 * runtime (required with `--docker`, the runtime only when GPUs are visible), GPUs.
 *
 * @module
 */

import { join } from "node:path";
import type { DoctorOptions, GlobalOptions } from "./args_types.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { registerConfigSecrets } from "../config/secrets.ts";
import { type CheckResult, doctorExitCode, formatCheck, skipped } from "../doctor/check.ts";
import { configCheck } from "../doctor/config_check.ts";
import { serverCheck } from "../doctor/server_check.ts";
import { clockCheck } from "../doctor/clock_check.ts";
import { pythonCheck, uvCheck } from "../doctor/python_tools.ts";
import { dockerCheck, nvidiaRuntimeCheck } from "../doctor/docker_check.ts";
import { DEFAULT_DOCKER_HOST } from "../doctor/docker_api.ts";
import { gpuCheck } from "../doctor/gpu_check.ts";
import { gitCheck } from "../doctor/git_check.ts";
import { diskCheck } from "../doctor/disk_check.ts";

function expandHome(path: string, home: string): string {
  return path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

/** Run `doctor`; resolves to the exit code. */
export async function runDoctorCommand(global: GlobalOptions, options: DoctorOptions): Promise<number> {
  const env = Deno.env.toObject();
  const path = env.PATH ?? "/usr/bin:/bin";
  const home = env.HOME ?? "/root";
  const results: CheckResult[] = [];
  const encoder = new TextEncoder();
  const report = async (result: CheckResult) => {
    results.push(result);
    await Deno.stdout.write(encoder.encode(formatCheck(result) + "\n"));
  };

  let loaded: LoadedConfig | undefined;
  try {
    loaded = loadConfig({ configFile: global.configFile });
    registerConfigSecrets(loaded);
    const api = loaded.typed.api;
    await report(configCheck({
      configFile: loaded.configFile,
      apiServer: api.api_server,
      accessKey: api.credentials.access_key,
      secretKey: api.credentials.secret_key,
      credentialsSource: loaded.sources.get("api.credentials.access_key"),
    }));
  } catch (err) {
    await report(configCheck({ error: err }));
  }

  const api = loaded?.typed.api;
  if (results[0].ok && api?.api_server && api.credentials.access_key && api.credentials.secret_key) {
    const server = await serverCheck({
      server: api.api_server,
      accessKey: api.credentials.access_key,
      secretKey: api.credentials.secret_key,
      defaultMethod: api.http.default_method,
      verifyCertificate: api.verify_certificate,
    });
    await report(server.result);
    await report(
      server.serverDate && server.localMs !== undefined
        ? clockCheck({ serverDate: server.serverDate, localMs: server.localMs })
        : skipped("clock", "the server did not answer"),
    );
  } else {
    await report(skipped("server", "no usable configuration"));
    await report(skipped("clock", "no usable configuration"));
  }

  const agent = loaded?.typed.agent;
  await report(await pythonCheck({ path, pythonBinary: agent?.python_binary || undefined, required: !options.docker }));
  await report(await uvCheck({ path, required: agent?.package_manager.type === "uv" }));
  const dockerHost = env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
  await report(await dockerCheck({ host: dockerHost, required: options.docker }));
  const gpus = await gpuCheck({ path, required: false });
  await report(await nvidiaRuntimeCheck({ host: dockerHost, path, required: options.docker && gpus.ok }));
  await report(gpus);
  await report(gitCheck({ path, home, gitUser: agent?.git_user, gitPass: agent?.git_pass, gitHost: agent?.git_host }));
  const folders: Record<string, string> = {
    venvs: agent?.venvs_dir ?? "~/.clearml/venvs-builds",
    "venvs cache": agent?.venvs_cache.path || "~/.clearml/venvs-cache",
    "vcs cache": agent?.vcs_cache.path ?? "~/.clearml/vcs-cache",
  };
  await report(diskCheck({
    paths: Object.fromEntries(Object.entries(folders).map(([k, v]) => [k, expandHome(v, home)])),
    minFreeGb: agent?.venvs_cache.free_space_threshold_gb ?? 2,
  }));

  const failed = results.filter((r) => !r.ok && !r.skipped && r.required).length;
  const warned = results.filter((r) => !r.ok && !r.skipped && !r.required).length;
  const ok = results.filter((r) => r.ok).length;
  await Deno.stdout.write(encoder.encode(`${ok} ok, ${failed} failed, ${warned} warnings\n`));
  return doctorExitCode(results);
}
