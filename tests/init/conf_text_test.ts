import assert from "node:assert/strict";
import { join } from "node:path";
import { parseHocon } from "../../lib/config/hocon.ts";
import { agentBlock, renderConf, writeNewFile } from "../../lib/init/conf_text.ts";

Deno.test("renderConf() writes a file the configuration reader reads back exactly", () => {
  const text = renderConf({
    apiServer: "http://127.0.0.1:8008",
    webServer: "http://127.0.0.1:8080",
    filesServer: "http://127.0.0.1:8081",
    accessKey: "AK",
    secretKey: 'se"cr\\et',
    gitUser: "alice",
    gitPass: "tok#en",
    extraIndexUrls: ["https://a/simple", "https://b/simple"],
    outputUri: "s3://bucket/out",
  });
  const tree = parseHocon(text) as Record<string, Record<string, unknown>>;
  assert.deepEqual(tree.api, {
    api_server: "http://127.0.0.1:8008",
    web_server: "http://127.0.0.1:8080",
    files_server: "http://127.0.0.1:8081",
    credentials: { access_key: "AK", secret_key: 'se"cr\\et' },
  });
  const agent = tree.agent as Record<string, unknown>;
  assert.equal(agent.git_user, "alice");
  assert.equal(agent.git_pass, "tok#en");
  assert.deepEqual((agent.package_manager as Record<string, unknown>).extra_index_url, [
    "https://a/simple",
    "https://b/simple",
  ]);
  assert.equal((agent.package_manager as Record<string, unknown>).type, "pip");
  assert.equal((agent.venvs_cache as Record<string, unknown>).path, "~/.clearml/venvs-cache");
  assert.deepEqual(tree.sdk, { development: { default_output_uri: "s3://bucket/out" } });
  const plain = parseHocon(renderConf({
    apiServer: "a",
    webServer: "b",
    filesServer: "c",
    accessKey: "k",
    secretKey: "s",
    extraIndexUrls: [],
  })) as { agent: { package_manager: Record<string, unknown> }; sdk?: unknown };
  assert.equal(plain.sdk, undefined);
  assert.deepEqual(plain.agent.package_manager.extra_index_url, []);
});

Deno.test("agentBlock() with git credentials is a valid agent section", () => {
  const tree = parseHocon(agentBlock({ user: "u" })) as { agent: Record<string, unknown> };
  assert.equal(tree.agent.git_user, "u");
  assert.equal(tree.agent.git_pass, "");
});

Deno.test("writeNewFile() writes mode 0600 and never replaces an existing file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "conf_text_" });
  try {
    const path = join(dir, "sub", "clearml.conf");
    await writeNewFile(path, "a: 1\n");
    assert.equal(await Deno.readTextFile(path), "a: 1\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    await assert.rejects(writeNewFile(path, "b: 2\n"), Deno.errors.AlreadyExists);
    assert.equal(await Deno.readTextFile(path), "a: 1\n");
    assert.deepEqual([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["clearml.conf"], "no temp left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
