/**
 * Datasets and models with the real `clearml` SDK and the `clearml-data` CLI against our server and its files
 * server: create, upload, finalize, list and get a local copy of a dataset; upload a model's weights, query the
 * model and download them again.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CompatEnv, scriptFolder, startCompatEnv } from "./_env.ts";

/** A folder outside any git repository with `scripts`, a `data/` tree (two files) and a weights file. */
async function workFolder(env: CompatEnv, ...scripts: string[]): Promise<string> {
  const dir = await scriptFolder(env, ...scripts);
  await Deno.mkdir(join(dir, "data", "sub"), { recursive: true });
  await Deno.writeTextFile(join(dir, "data", "a.txt"), "alpha\n");
  await Deno.writeTextFile(join(dir, "data", "sub", "b.txt"), "beta\n");
  await Deno.writeTextFile(join(dir, "weights.bin"), "w=42\n");
  return dir;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

Deno.test("SDK Dataset.create/add_files/upload/finalize, then Dataset.get().get_local_copy() reads the files back", async () => {
  const started = performance.now();
  const env = await startCompatEnv();
  try {
    const dir = await workFolder(env, "dataset.py");
    const r = await env.py([join(dir, "dataset.py"), join(dir, "data")], { cwd: dir });
    assert.equal(r.code, 0, `${r.out}\n${env.server.output().slice(-3000)}`);
    assert.match(r.out, /^FILE a\.txt alpha$/m);
    assert.match(r.out, /^FILE sub\/b\.txt beta$/m);
    const id = /^DATASET (\w+)$/m.exec(r.out)![1];
    const task = (await env.client.ok("tasks.get_by_id", { task: id })).task;
    assert.equal(task.type, "data_processing");
    assert.ok(task.system_tags.includes("dataset"), JSON.stringify(task.system_tags));
  } finally {
    await env.close();
    console.log(`dataset (SDK): ${seconds(started)} s`);
  }
});

Deno.test("clearml-data create/add/close/list/get round-trips a folder through our files server", async () => {
  const started = performance.now();
  const env = await startCompatEnv();
  try {
    const dir = await workFolder(env);
    const cli = async (...args: string[]) => {
      const r = await env.tool("clearml-data", args, { cwd: dir });
      assert.equal(r.code, 0, `clearml-data ${args.join(" ")}:\n${r.out}\n${env.server.output().slice(-3000)}`);
      return r.out;
    };
    const created = await cli("create", "--project", "Compat datasets", "--name", "cli data");
    const id = /New dataset created id=(\w+)/.exec(created)![1];
    assert.match(await cli("add", "--id", id, "--files", "data"), /2 files added/);
    assert.match(await cli("close", "--id", id), /Dataset closed and finalized/);
    const list = await cli("list", "--id", id);
    assert.match(list, /^a\.txt\s/m);
    assert.match(list, /^sub\/b\.txt\s/m);
    await cli("get", "--id", id, "--copy", join(dir, "got"));
    assert.equal(await Deno.readTextFile(join(dir, "got", "a.txt")), "alpha\n");
    assert.equal(await Deno.readTextFile(join(dir, "got", "sub", "b.txt")), "beta\n");
  } finally {
    await env.close();
    console.log(`dataset (clearml-data): ${seconds(started)} s`);
  }
});

Deno.test("SDK OutputModel.update_weights to our files server, Model.query_models, get_local_copy", async () => {
  const started = performance.now();
  const env = await startCompatEnv();
  try {
    const dir = await workFolder(env, "model.py");
    const r = await env.py([join(dir, "model.py"), join(dir, "weights.bin")], { cwd: dir });
    assert.equal(r.code, 0, `${r.out}\n${env.server.output().slice(-3000)}`);
    const id = /^MODEL (\w+)$/m.exec(r.out)![1];
    assert.match(r.out, new RegExp(`^QUERY \\['${id}'\\]$`, "m"));
    assert.match(r.out, new RegExp(`^URL ${env.server.url}/files/\\S+weights\\.bin$`, "m"));
    assert.match(r.out, /^WEIGHTS w=42$/m);
    const model = (await env.client.ok("models.get_by_id", { model: id })).model;
    assert.equal(model.last_iteration, 3);
  } finally {
    await env.close();
    console.log(`model upload/query/download: ${seconds(started)} s`);
  }
});
