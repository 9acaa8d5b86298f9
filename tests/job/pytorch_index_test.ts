import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config/load.ts";
import type { AgentConfig } from "../../lib/config/config_schema.ts";
import { resolveTorchIndex, torchIndexCandidates } from "../../lib/job/pytorch_index.ts";

function config(pm: Record<string, unknown> = {}, agent: Record<string, unknown> = {}): AgentConfig {
  const typed = loadConfig({ env: {}, home: "/nonexistent", hostname: "h" }).typed;
  const a = { ...typed.agent, ...agent, package_manager: { ...typed.agent.package_manager, ...pm } };
  return { ...typed, agent: a } as AgentConfig;
}

const set = (lines: string[], options: string[] = []) => ({ lines, options, local: false });

Deno.test("torchIndexCandidates() probes from the CUDA version down 15 steps, cpu without CUDA", () => {
  const t = "https://download.pytorch.org/whl/cu{}/";
  const c = torchIndexCandidates(t, "122");
  assert.equal(c.length, 15);
  assert.equal(c[0], "https://download.pytorch.org/whl/cu122/");
  assert.equal(c[1], "https://download.pytorch.org/whl/cu121/");
  assert.equal(c.at(-1), "https://download.pytorch.org/whl/cu108/");
  assert.deepEqual(torchIndexCandidates(t, "0"), ["https://download.pytorch.org/whl/cpu/"]);
});

Deno.test("resolveTorchIndex() adds the first answering index and widens torch==X to X.*", async () => {
  const probed: string[] = [];
  const probe = (url: string) => {
    probed.push(url);
    return Promise.resolve(url.endsWith("/cu118/"));
  };
  const say = () => {};
  const r = await resolveTorchIndex({
    set: set(["torch==2.1.0", "torchvision==0.16.0 ; python_version > '3'", "six==1.16"]),
    config: config(),
    cuda: "120",
    say,
    probe,
  });
  assert.equal(r.extraIndexUrl, "https://download.pytorch.org/whl/cu118/");
  assert.deepEqual(probed.slice(0, 3), [
    "https://download.pytorch.org/whl/cu120/",
    "https://download.pytorch.org/whl/cu119/",
    "https://download.pytorch.org/whl/cu118/",
  ]);
  assert.deepEqual(r.set.lines, ["torch==2.1.0.*", "torchvision==0.16.0.* ; python_version > '3'", "six==1.16"]);

  const nightly = await resolveTorchIndex({
    set: set(["torch"]),
    config: config({ torch_nightly: true }),
    cuda: "118",
    say,
    probe,
  });
  assert.equal(nightly.extraIndexUrl, "https://download.pytorch.org/whl/nightly/cu118/");

  for (
    const [s, c] of [
      [set(["torch==2.1.0+cu118"]), config()],
      [set(["torch @ https://h/torch.whl"]), config()],
      [set(["torch==2.1.0"], ["--index-url http://127.0.0.1:1/simple"]), config()],
      [set(["torch==2.1.0"]), config({ pytorch_resolve: "none" })],
      [set(["torch==2.1.0"]), config({}, { cpu_only: true })],
      [set(["numpy"]), config()],
    ] as const
  ) {
    const out = await resolveTorchIndex({ set: s, config: c, cuda: "118", say, probe: () => Promise.resolve(true) });
    assert.equal(out.extraIndexUrl, undefined, JSON.stringify(s));
    assert.deepEqual(out.set, s);
  }
  await assert.rejects(
    resolveTorchIndex({ set: set(["torch"]), config: config({ pytorch_resolve: "direct" }), cuda: "118", say, probe }),
    /not implemented yet: agent\.package_manager\.pytorch_resolve "direct"/,
  );
});
