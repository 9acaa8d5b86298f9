import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { ApiClient } from "../helpers/server.ts";

Deno.test("server --detached starts in the background with env credentials; --stop stops it", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "clearml-cli-server-test-" });
  const env = {
    CLEARML_API_ACCESS_KEY: "ENVACCESSKEY000000000000000000",
    CLEARML_API_SECRET_KEY: "env-secret-0123456789",
  };
  try {
    const up = await runCli(["server", "--detached", "--port", "0", "--data-dir", dataDir], { env });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /"access_key" = "ENVACCESSKEY000000000000000000"/);
    const url = /running in the background \(pid (\d+)\) on (http:\/\/\S+)/.exec(up.stdout);
    assert.ok(url, up.stdout);
    assert.equal((await Deno.readTextFile(join(dataDir, "server.pid"))).trim(), url[1]);
    const client = new ApiClient(url[2], env.CLEARML_API_ACCESS_KEY, env.CLEARML_API_SECRET_KEY);
    assert.equal((await client.call("queues.get_default", {})).status, 200);
    const twice = await runCli(["server", "--port", "0", "--data-dir", dataDir]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /A server is already running on data dir ".*" \(pid \d+\)/);
    const down = await runCli(["server", "--stop", "--data-dir", dataDir]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /Stopped the ClearML API server \(pid \d+\)/);
    const none = await runCli(["server", "--stop", "--data-dir", dataDir]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No server is running on data dir/);
    const log = await Deno.readTextFile(join(dataDir, "server.log"));
    assert.match(log, /ClearML API server listening on/);
    assert.ok(
      !log.includes(env.CLEARML_API_SECRET_KEY) || log.includes("secret_key"),
      "the secret only appears in the snippet",
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
