/** A task container's configuration (agent-reference §2.6) and its per-run files on the host. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/config/load.ts";
import {
  agentStarted,
  containerConfigTree,
  dropEnvFile,
  removeRunFiles,
  writeRunFiles,
} from "../../../executors/docker/files.ts";

Deno.test("containerConfigTree() points caches and folders at container paths and leaves the interpreter to be found", () => {
  const loaded = loadConfig({
    env: { CLEARML_API_HOST: "http://api:8008", CLEARML_API_ACCESS_KEY: "K", CLEARML_API_SECRET_KEY: "S" },
    home: "/nonexistent",
    hostname: "h",
  });
  loaded.tree.agent = { ...(loaded.tree.agent as object), python_binary: "/usr/local/bin/python3.9" };
  const tree = containerConfigTree(loaded.tree, {
    config: loaded.typed,
    venvCache: true,
    cuda: "121",
    systemSitePackages: true,
  }) as Record<string, Record<string, unknown>>;
  const agent = tree.agent as Record<string, Record<string, unknown> | string>;
  assert.equal((agent.venvs_cache as Record<string, unknown>).path, "/root/.clearml/venvs-cache");
  assert.equal((agent.vcs_cache as Record<string, unknown>).path, "/root/.clearml/vcs-cache");
  assert.equal(agent.venvs_dir, "~/.clearml/venvs-builds");
  assert.equal(agent.python_binary, "");
  assert.equal(agent.cuda_version, "121");
  assert.equal((agent.package_manager as Record<string, unknown>).system_site_packages, true);
  assert.deepEqual(tree.api.credentials as Record<string, unknown>, { access_key: "K", secret_key: "S" });
  assert.equal(
    (tree.sdk.storage as Record<string, Record<string, unknown>>).cache.default_base_dir,
    "/clearml_agent_cache",
  );
  // The host's copy is untouched.
  assert.equal((loaded.tree.agent as Record<string, unknown>).python_binary, "/usr/local/bin/python3.9");
  const noCache = containerConfigTree(loaded.tree, {
    config: loaded.typed,
    venvCache: false,
    systemSitePackages: false,
  });
  assert.equal((noCache.agent as Record<string, Record<string, unknown>>).venvs_cache.path, "");
});

Deno.test("writeRunFiles() keeps every file private (0700 folder, 0600 files) and drops the env file on demand", async () => {
  const base = await Deno.makeTempDir();
  try {
    const files = await writeRunFiles(base, "task1", {
      tree: { api: { credentials: { secret_key: "S" } } },
      secrets: { TOKEN: "t0ken" },
      entryScript: "#!/bin/sh\n",
    });
    const mode = async (p: string) => (await Deno.stat(p)).mode! & 0o777;
    assert.equal(await mode(files.dir), 0o700);
    assert.equal(await mode(files.runDir), 0o700);
    assert.equal(await mode(files.config), 0o600);
    assert.equal(await mode(files.envFile), 0o600);
    assert.equal(JSON.parse(await Deno.readTextFile(files.config)).api.credentials.secret_key, "S");
    assert.equal(await Deno.readTextFile(files.envFile), "export TOKEN='t0ken'\n");
    assert.equal(await agentStarted(files), false);
    await dropEnvFile(files);
    await assert.rejects(() => Deno.stat(files.envFile));
    await removeRunFiles(files);
    await assert.rejects(() => Deno.stat(files.dir));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
