/** What every pod of a glue gets (lib/k8s/pod_setup.ts): identity label, configuration text, task container. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { loadConfig } from "../../lib/config/load.ts";
import { parseHocon } from "../../lib/config/hocon.ts";
import type { Task } from "../../lib/api/types.ts";
import { agentLabel, podConfText, taskContainerInput } from "../../lib/k8s/pod_setup.ts";

const HOME = Deno.makeTempDirSync({ prefix: "clearml_home_" });

/** A configuration from variables only (no file: the home folder is empty). */
function config(env: Record<string, string> = {}) {
  return loadConfig({ env, home: HOME, hostname: "box" });
}

Deno.test("agentLabel is CLEARML=agent-<first 8 hex of md5(worker id)>", () => {
  const md5 = createHash("md5").update("box:0").digest("hex");
  assert.deepEqual(agentLabel("box:0"), { CLEARML: `agent-${md5.slice(0, 8)}` });
});

Deno.test("podConfText: the glue's merged configuration (variables included) plus the reference's additions", () => {
  const loaded = config({
    CLEARML_API_HOST: "http://127.0.0.1:8008",
    CLEARML_API_ACCESS_KEY: "AK",
    CLEARML_API_SECRET_KEY: "SK",
    CLEARML_AGENT_GIT_USER: "bob",
  });
  const tree = parseHocon(podConfText(loaded.tree, loaded.typed));
  const api = tree.api as Record<string, Record<string, unknown>>;
  assert.equal(api.api_server ?? api.host, "http://127.0.0.1:8008");
  assert.deepEqual(api.credentials, { access_key: "AK", secret_key: "SK" });
  const agent = tree.agent as Record<string, Record<string, unknown>>;
  assert.equal(agent.package_manager.system_site_packages, true);
  assert.equal(agent.git_user, "bob");
  // --pod-clearml-conf: that file's tree instead of the glue's own.
  const own = parseHocon(podConfText(parseHocon("api { api_server: x }"), loaded.typed));
  assert.deepEqual((own.api as Record<string, unknown>).api_server, "x");
  assert.equal((own.api as Record<string, unknown>).credentials, undefined);
});

Deno.test("taskContainerInput: the task's image and -e variables, our binary's arguments, warnings for the rest", () => {
  const said: string[] = [];
  const task = {
    id: "t1",
    container: { image: "pytorch/pytorch:2", arguments: "-e A=1 --env B=x=y --ipc=host" },
  } as unknown as Task;
  const input = taskContainerInput({ task, config: config().typed, workerId: "box:0", say: (l) => said.push(l) });
  assert.equal(input.image, "pytorch/pytorch:2");
  assert.deepEqual(input.env, {
    A: "1",
    B: "x=y",
    CLEARML_CONFIG_FILE: "/etc/clearml-agent/clearml.conf",
    CLEARML_WORKER_ID: "box:0:t1",
  });
  assert.deepEqual(input.args, ["execute", "--full-monitoring", "--require-queue", "--id", "t1"]);
  assert.deepEqual(said, ["Warning: task t1: docker arguments --ipc=host have no effect in a pod"]);
  // No image on the task: agent.default_docker.image, and its default arguments give no warning.
  said.length = 0;
  const bare = taskContainerInput({
    task: { id: "t2" } as Task,
    config: config().typed,
    workerId: "w",
    say: (l) => said.push(l),
  });
  assert.match(bare.image, /^nvidia\/cuda:/);
  assert.deepEqual(said, []);
});
