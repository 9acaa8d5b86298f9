import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/config/load.ts";
import type { AgentConfig } from "../../../lib/config/config_schema.ts";
import { directWheelLine } from "../../../lib/setup/python/pytorch_direct.ts";
import { resolveTorchIndex, torchIndexCandidates } from "../../../lib/setup/python/pytorch_index.ts";

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
  const python = "3.11.7";
  const r = await resolveTorchIndex({
    set: set(["torch==2.1.0", "torchvision==0.16.0 ; python_version > '3'", "six==1.16"]),
    config: config(),
    cuda: "120",
    say,
    probe,
    python,
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
    python,
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
    const out = await resolveTorchIndex({
      set: s,
      config: c,
      cuda: "118",
      say,
      probe: () => Promise.resolve(true),
      python,
    });
    assert.equal(out.extraIndexUrl, undefined, JSON.stringify(s));
    assert.deepEqual(out.set, s);
  }
  await assert.rejects(
    resolveTorchIndex({
      set: set(["torch"]),
      config: config({ pytorch_resolve: "exact" }),
      cuda: "118",
      say,
      probe,
      python,
    }),
    /Unknown agent\.package_manager\.pytorch_resolve "exact": use pip, direct or none/,
  );
});

const PAGE = [
  "torch-2.0.1+cu118-cp311-cp311-linux_x86_64.whl",
  "torch-2.1.0+cu118-cp310-cp310-linux_x86_64.whl",
  "torch-2.1.0+cu118-cp311-cp311-linux_x86_64.whl",
  "torch-2.1.0+cu118-cp311-cp311-win_amd64.whl",
  "torch-2.1.0+cu118-cp311-cp311-linux_aarch64.whl",
  "torch-2.1.2+cu118-cp311-cp311-manylinux_2_28_x86_64.whl",
].map((f) => `<a href="/whl/cu118/${encodeURIComponent(f)}#sha256=00">${f}</a>`).join("\n");

Deno.test("directWheelLine() picks the wheel for this interpreter, platform and pinned version", async () => {
  const pages: string[] = [];
  const fetchText = (url: string) => {
    pages.push(url);
    return Promise.resolve(url.endsWith("/torch/") ? PAGE : undefined);
  };
  const o = { indexUrl: "https://h/whl/cu118/", python: "3.11.7", arch: "x86_64", fetchText };
  assert.equal(
    await directWheelLine({ ...o, line: "torch==2.1.0 ; python_version >= '3.8'" }),
    "torch @ https://h/whl/cu118/torch-2.1.0%2Bcu118-cp311-cp311-linux_x86_64.whl ; python_version >= '3.8'",
  );
  assert.equal(pages[0], "https://h/whl/cu118/torch/");
  assert.equal(
    await directWheelLine({ ...o, line: "torch" }),
    "torch @ https://h/whl/cu118/torch-2.1.2%2Bcu118-cp311-cp311-manylinux_2_28_x86_64.whl",
  );
  assert.equal(
    await directWheelLine({ ...o, line: "torch==2.1.0", arch: "aarch64" }),
    "torch @ https://h/whl/cu118/torch-2.1.0%2Bcu118-cp311-cp311-linux_aarch64.whl",
  );
  assert.equal(await directWheelLine({ ...o, line: "torch==2.2.0" }), undefined);
  assert.equal(await directWheelLine({ ...o, line: "torch>=2" }), undefined, "only == pins are resolved");
  assert.equal(await directWheelLine({ ...o, line: "torchvision==0.16.0" }), undefined);
});
