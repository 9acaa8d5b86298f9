/**
 * Compatibility check of the embedded server with the REAL Python clients (not a test: it needs PyPI and takes
 * a few minutes). Installs `clearml==1.17.0` and `clearml-agent==1.9.2` into a venv (reused between runs), starts
 * `clearml-agent server` on a temporary data folder, then:
 *
 * 1. runs an SDK script locally (`Task.init`, `connect`, `connect_configuration`, scalars, console output);
 * 2. clones it with the SDK, overrides a hyperparameter, enqueues it, and lets the Python `clearml-agent daemon`
 *    run it: the remote run must see the override and end `completed`;
 * 3. sends a long task with `execute_remotely`, aborts it with `tasks.stop`: the agent must kill it and mark it
 *    `stopped` (the `stopping` handshake).
 *
 * Usage: `npx deno run -A scripts/compat_real_clients.ts [--venv DIR]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { ApiClient, spawnServerProcess } from "../tests/helpers/server.ts";

const { values } = parseArgs({ options: { venv: { type: "string", default: "/tmp/clearml-compat-venv" } } });
const VENV = values.venv!;
const PY = join(VENV, "bin", "python");

async function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 300_000, cwd?: string) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    cwd,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${text.slice(-3000)}`);
  return text;
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? "PASS" : "FAIL"}  ${what}`);
  if (!ok) throw new Error(`Check failed: ${what}`);
}

/** Poll a task's status every second up to `seconds` until it is one of `want`. */
async function waitStatus(client: ApiClient, task: string, want: string[], seconds: number): Promise<string> {
  let status = "";
  for (let i = 0; i < seconds; i++) {
    status = (await client.ok("tasks.get_by_id", { task })).task.status;
    if (want.includes(status)) return status;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return status;
}

if (!await Deno.stat(PY).then(() => true, () => false)) {
  console.log(`Creating ${VENV} (clearml==1.17.0, clearml-agent==1.9.2)`);
  await run("python3", ["-m", "venv", VENV]);
  await run(PY, ["-m", "pip", "install", "-q", "clearml==1.17.0", "clearml-agent==1.9.2"]);
}

const work = await Deno.makeTempDir({ prefix: "clearml-compat-" });
const server = await spawnServerProcess(join(work, "server"));
const client = new ApiClient(server.url);
const home = join(work, "home");
await Deno.mkdir(home);
await Deno.mkdir(join(work, "outputs"));
await Deno.writeTextFile(
  join(home, "clearml.conf"),
  `api {\n  api_server: ${server.url}\n  web_server: ${server.url}\n  files_server: ${server.url}/files\n` +
    `  credentials { "access_key" = "${client.accessKey}", "secret_key" = "${client.secretKey}" }\n}\n` +
    `agent {\n  package_manager { type: pip, system_site_packages: true }\n  venvs_dir: ${home}/venvs\n` +
    `  vcs_cache { enabled: false }\n  worker_id: "compat:cpu"\n}\n`,
);
const env = { HOME: home, PATH: `${VENV}/bin:${Deno.env.get("PATH")}` };
let agent: Deno.ChildProcess | undefined;
try {
  await Deno.writeTextFile(
    join(work, "train.py"),
    `from clearml import Task
import os
task = Task.init(project_name="Compat", task_name="sdk run", auto_connect_frameworks=False,
                 auto_resource_monitoring=False, output_uri=${JSON.stringify(join(work, "outputs"))})
params = task.connect({"lr": 0.1, "epochs": 3})
from clearml import OutputModel
open("weights.bin", "wb").write(os.urandom(1024))
OutputModel(task=task, name="weights", framework="custom").update_weights(weights_filename="weights.bin")
task.upload_artifact("stats", artifact_object={"rows": 10}, wait_on_upload=True)
task.connect_configuration({"model": {"layers": 2}}, name="cfg")
task.get_logger().report_scalar("loss", "train", 0.5, iteration=1)
print("PARAMS", params["lr"], params["epochs"])
print("TASK", task.id)
`,
  );
  await Deno.writeTextFile(
    join(work, "long.py"),
    `from clearml import Task
import time
task = Task.init(project_name="Compat", task_name="long run", auto_connect_frameworks=False, auto_resource_monitoring=False)
task.execute_remotely(queue_name="default")
for i in range(600):
    print("tick", i, flush=True)
    time.sleep(1)
`,
  );
  // 1. Local SDK run.
  const out = await run(PY, [join(work, "train.py")], { ...env, PWD: work }, 300_000, work);
  const taskId = /TASK (\w+)/.exec(out)![1];
  const local = (await client.ok("tasks.get_by_id", { task: taskId })).task;
  check(local.status === "completed", `SDK Task.init run ends completed (${local.status})`);
  check(local.hyperparams.General.lr.value === "0.1", "Task.connect stored the hyperparameters");
  check(local.configuration.cfg?.type === "dictionary", "connect_configuration stored the configuration");
  check(local.last_iteration === 1, "scalars moved last_iteration");
  const models = await client.ok("models.get_all", { task: [taskId], only_fields: ["id", "uri", "name"] });
  check(
    models.models.some((m: { uri: string }) => m.uri.endsWith("weights.bin")),
    "OutputModel registered its weights",
  );
  check(local.models.output.length === 1, "the task lists its output model");
  check(local.execution.artifacts?.some((a: { key: string }) => a.key === "stats"), "upload_artifact registered it");

  // 2. Clone + override + enqueue, run by the Python agent.
  const cloned = await run(PY, [
    "-c",
    `from clearml import Task
c = Task.clone(source_task=Task.get_task(task_id="${taskId}"), name="cloned")
c.set_parameters({"General/lr": 0.7})
Task.enqueue(c, queue_name="default")
print("CLONE", c.id)`,
  ], env);
  const cloneId = /CLONE (\w+)/.exec(cloned)![1];
  agent = new Deno.Command(join(VENV, "bin", "clearml-agent"), {
    args: ["daemon", "--queue", "default", "--foreground"],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const status = await waitStatus(client, cloneId, ["completed", "failed", "stopped"], 240);
  check(status === "completed", `the Python agent ran the cloned task (${status})`);
  const log = await client.ok("events.get_task_log", { task: cloneId, navigate_earlier: false, batch_size: 10000 });
  const text = log.events.map((e: { msg: string }) => e.msg).join("\n");
  check(text.includes("PARAMS 0.7 3"), "the remote run saw the overridden hyperparameter");

  // 3. Abort handshake.
  const remote = await run(PY, [join(work, "long.py")], env);
  const longId = /experiments\/(\w+)\/output/.exec(remote)![1];
  check(
    await waitStatus(client, longId, ["in_progress"], 120) === "in_progress",
    "execute_remotely task started by the agent",
  );
  await new Promise((r) => setTimeout(r, 5000));
  const stop = await client.ok("tasks.stop", { task: longId });
  check(stop.fields.status_message === "stopping", "tasks.stop asked the running worker to stop");
  const stopped = await waitStatus(client, longId, ["stopped"], 60);
  check(stopped === "stopped", `the agent aborted the task and marked it stopped (${stopped})`);
  console.log("All real-client checks passed");
} finally {
  try {
    agent?.kill("SIGTERM");
    await agent?.status;
  } catch { /* already gone */ }
  await server.stop();
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
