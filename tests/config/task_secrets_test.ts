import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/load.ts";
import { splitTaskConfig } from "../../lib/config/task_secrets.ts";
import { makeRunFolder, runFolderOwner, sweepDeadRuns } from "../../lib/process/run_folders.ts";

Deno.test("splitTaskConfig() moves the credentials, the git password and environment {} out of the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "split-config-" });
  try {
    const file = join(dir, "clearml.conf");
    await Deno.writeTextFile(
      file,
      `api { api_server: "http://127.0.0.1:1", credentials { access_key: "AK-split", secret_key: "SK-split-9d2" } }
agent { git_user: "alice", git_pass: "GP-split-41a" }
environment { DATA_PATH: "/mnt/data", TOKEN_X: "ENV-split-77c" }
files { f { path: "/tmp/x", contents: "FILE-split-0e3" } }
sdk { aws { s3 { region: "eu" } } }`,
    );
    const loaded = loadConfig({ configFile: file, env: {}, home: dir });
    const split = splitTaskConfig(loaded.tree, loaded.typed);
    const text = JSON.stringify(split.tree);
    for (const secret of ["SK-split-9d2", "AK-split", "GP-split-41a", "ENV-split-77c", "FILE-split-0e3"]) {
      assert.ok(!text.includes(secret), secret);
    }
    assert.match(text, /"git_user":"alice"/);
    assert.match(text, /"region":"eu"/);
    assert.deepEqual(split.env, {
      DATA_PATH: "/mnt/data",
      TOKEN_X: "ENV-split-77c",
      CLEARML_API_ACCESS_KEY: "AK-split",
      CLEARML_API_SECRET_KEY: "SK-split-9d2",
      CLEARML_AGENT_GIT_PASS: "GP-split-41a",
    });
    const docker = splitTaskConfig(loaded.tree, loaded.typed, { keepFiles: true });
    assert.match(JSON.stringify(docker.tree), /FILE-split-0e3/, "the agent in a container writes files {} itself");
    assert.ok(JSON.stringify(loaded.tree).includes("SK-split-9d2"), "the loaded tree is not modified");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweepDeadRuns() removes the run folders of dead owners only", async () => {
  const base = await Deno.makeTempDir({ prefix: "run-folders-" });
  try {
    const mine = await makeRunFolder(base, "run");
    const dead = await makeRunFolder(base, "task1", 4_000_000);
    const live = await makeRunFolder(base, "task2", 4_000_001);
    await Deno.mkdir(join(base, "not-a-run"));
    assert.equal((await Deno.stat(mine)).mode! & 0o777, 0o700);
    assert.equal(runFolderOwner(dead.slice(base.length + 1)), 4_000_000);
    const removed = await sweepDeadRuns(base, (pid) => pid === 4_000_001);
    assert.deepEqual(removed, [dead]);
    const left = [...Deno.readDirSync(base)].map((e) => join(base, e.name)).sort();
    assert.deepEqual(left, [mine, live, join(base, "not-a-run")].sort());
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
