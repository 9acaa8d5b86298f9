/**
 * `clearml-agent execute --id TASK`: run one task in this process (venv mode) — the command the daemon runs per
 * task with `--disable-monitoring`. Output goes to stdout/stderr; without `--disable-monitoring` it is also sent
 * to the server and the final status is set. The exit code is the task's (1 with one error line when the task
 * could not run).
 *
 * @module
 */

import { join } from "node:path";
import type { ExecuteOptions, GlobalOptions } from "./args_types.ts";
import { formatError, NotImplementedError } from "./errors.ts";
import { loadConfig } from "../config/load.ts";
import { registerConfigSecrets } from "../config/secrets.ts";
import { ApiClient } from "../api/client.ts";
import { addLogEvents } from "../api/events.ts";
import { RETRY } from "../api/retry_policy.ts";
import { findTasksByName } from "../api/tasks.ts";
import { VenvExecutor } from "../../executors/venv.ts";
import { executeTask } from "../job/execute.ts";
import { TaskLog } from "../job/task_log.ts";

function expander(home: string): (path: string) => string {
  return (path) => {
    const vars = path.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => Deno.env.get(a ?? b) ?? m);
    return vars === "~" ? home : vars.startsWith("~/") ? join(home, vars.slice(2)) : vars;
  };
}

function normalizeCuda(value: string | undefined, cpuOnly: boolean): string {
  if (cpuOnly || !value) return "0";
  return value.includes(".") ? String(Math.trunc(parseFloat(value) * 10)) : value;
}

async function resolveTaskId(client: ApiClient, idOrName: string): Promise<string> {
  if (/^[-a-f0-9]{30,}$/.test(idOrName)) return idOrName;
  const found = await findTasksByName(client, idOrName);
  if (found.length === 1) return found[0].id;
  if (found.length > 1) {
    throw new Error(`Found multiple tasks with name "${idOrName}": ${found.map((t) => t.id).join(", ")}`);
  }
  return idOrName;
}

/** Run `execute`; resolves to the exit code. */
export async function runExecuteCommand(global: GlobalOptions, options: ExecuteOptions): Promise<number> {
  if (options.docker) throw new NotImplementedError("execute --docker");
  if (options.standaloneMode) throw new NotImplementedError("execute --standalone-mode");
  const loaded = loadConfig({ configFile: global.configFile });
  registerConfigSecrets(loaded);
  const config = loaded.typed;
  const home = Deno.env.get("HOME") ?? "/root";
  const host = config.api.api_server ?? config.api.host;
  if (!host) throw new Error("No API server configured: set api.api_server in clearml.conf or CLEARML_API_HOST");
  const workerId = config.agent.worker_id || Deno.env.get("CLEARML_WORKER_ID") || config.agent.worker_name;
  const client = new ApiClient({
    host,
    accessKey: config.api.credentials.access_key,
    secretKey: config.api.credentials.secret_key,
    token: Deno.env.get("CLEARML_AUTH_TOKEN"),
    defaultMethod: config.api.http.default_method,
    worker: workerId,
    tokenThresholdSec: config.api.auth.token_expiration_threshold_sec,
    requestTokenExpirationSec: config.api.auth.request_token_expiration_sec,
    verifyCertificate: config.api.verify_certificate,
  });
  const taskId = await resolveTaskId(client, options.id);
  const log = new TaskLog({
    taskId,
    workerId,
    upload: options.disableMonitoring
      ? undefined
      : async (events) => void await addLogEvents(client, events, { retry: RETRY.logs }),
    logFile: options.logFile,
    suppressCarriageReturn: config.agent.suppress_carriage_return,
  });
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const result = await executeTask({
      client,
      taskId,
      config,
      tree: loaded.tree,
      workerId,
      executor: new VenvExecutor({ graceSec: config.agent.abort_grace_s }),
      log,
      expand: expander(home),
      disableMonitoring: options.disableMonitoring,
      requireQueue: options.requireQueue,
      clone: options.clone,
      standalone: options.standaloneMode,
      optimization: options.optimization,
      logLevel: options.logLevel,
      gpus: options.gpus,
      cpuOnly: options.cpuOnly,
      cuda: normalizeCuda(config.agent.cuda_version, options.cpuOnly),
      toolsDir: Deno.env.get("CLEARML_AGENT_TOOLS_DIR") || join(home, ".clearml", "tools"),
      keepRunDir: global.debug,
      signal: controller.signal,
    });
    await log.close();
    if (result.reason && result.exitCode !== 0 && !result.reason.startsWith("worker execution exit code")) {
      console.error(formatError(new Error(result.reason)));
    }
    return result.exitCode;
  } finally {
    await log.close().catch(() => {});
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}
