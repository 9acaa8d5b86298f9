import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/config/load.ts";
import type { AgentConfig } from "../../../lib/config/config_schema.ts";
import { planInstall, requirementName } from "../../../lib/setup/python/install_plan.ts";

function config(pm: Record<string, unknown>): AgentConfig {
  const typed = loadConfig({ env: {}, home: "/nonexistent", hostname: "h" }).typed;
  return { ...typed, agent: { ...typed.agent, package_manager: { ...typed.agent.package_manager, ...pm } } };
}

Deno.test("requirementName() normalizes the project name and skips options", () => {
  assert.equal(requirementName("Torch_Vision[x]>=0.15 ; python_version>'3'"), "torch-vision");
  assert.equal(requirementName("numpy"), "numpy");
  assert.equal(requirementName("-e git+https://h/r.git#egg=x"), undefined);
});

Deno.test("planInstall() keeps priority lines in the main install and moves post lines after it", () => {
  const set = {
    lines: ["Horovod==0.28", "numpy==1.26", "six", "PyGObject==3", "extra-post==1"],
    options: ["--extra-index-url http://127.0.0.1:1/simple"],
    local: false,
  };
  const plan = planInstall(set, config({ post_optional_packages: ["extra_post"] }));
  // The reference's defaults: cython, numpy, setuptools, pip, uv first; pygobject optional; horovod last.
  assert.deepEqual(plan.priority, [
    { line: "numpy==1.26", optional: false },
    { line: "PyGObject==3", optional: true },
  ]);
  assert.deepEqual(plan.main.lines, ["numpy==1.26", "six", "PyGObject==3"]);
  assert.deepEqual(plan.main.options, set.options);
  assert.deepEqual(plan.post, [
    { line: "Horovod==0.28", optional: false },
    { line: "extra-post==1", optional: true },
  ]);
  const none = planInstall(set, config({ priority_packages: [], priority_optional_packages: [], post_packages: [] }));
  assert.deepEqual(none.priority, []);
  assert.deepEqual(none.main.lines, set.lines);
});
