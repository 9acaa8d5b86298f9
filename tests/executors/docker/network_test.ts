import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/config/load.ts";
import { tokenize } from "../../../executors/docker/args.ts";
import { isLoopbackUrl, loopbackServers, withLoopbackNetwork } from "../../../executors/docker/network.ts";

function config(env: Record<string, string>) {
  const home = Deno.makeTempDirSync();
  try {
    return loadConfig({ env: { HOME: home, ...env }, home, hostname: "testhost" }).typed;
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

Deno.test("isLoopbackUrl() knows localhost, 127.0.0.0/8 and ::1, and nothing else", () => {
  for (
    const url of [
      "http://127.0.0.1:8008",
      "http://localhost:8008",
      "https://127.9.8.7",
      "http://[::1]:80",
      "http://api.localhost",
    ]
  ) {
    assert.ok(isLoopbackUrl(url), url);
  }
  for (const url of ["http://10.0.0.1:8008", "https://api.clear.ml", "http://128.0.0.1", "not a url", undefined]) {
    assert.ok(!isLoopbackUrl(url), String(url));
  }
});

Deno.test("withLoopbackNetwork() adds --network=host for a loopback server with no network given, and says why", () => {
  const said: string[] = [];
  const c = config({ CLEARML_API_HOST: "http://127.0.0.1:38535", CLEARML_FILES_HOST: "http://127.0.0.1:38535/files" });
  assert.deepEqual(loopbackServers(c), ["http://127.0.0.1:38535", "http://127.0.0.1:38535/files"]);
  const out = withLoopbackNetwork(tokenize(["-e", "A=1"]), c, (l) => said.push(l));
  assert.deepEqual(out.flatMap((i) => i.tokens), ["-e", "A=1", "--network=host"]);
  assert.match(
    said[0],
    /^The server "http:\/\/127\.0\.0\.1:38535" and .* loopback: the container uses the host network/,
  );
});

Deno.test("withLoopbackNetwork() keeps an explicit --network (warning when it hides the server) and leaves remote servers alone", () => {
  const said: string[] = [];
  const local = config({ CLEARML_API_HOST: "http://localhost:8008", CLEARML_FILES_HOST: "https://files.example.com" });
  const bridge = withLoopbackNetwork(tokenize(["--net", "bridge"]), local, (l) => said.push(l));
  assert.deepEqual(bridge.flatMap((i) => i.tokens), ["--net", "bridge"]);
  assert.deepEqual(said, [
    'Warning: the server "http://localhost:8008" is on this machine\'s loopback and the docker arguments set ' +
    '"--network bridge": the container may not reach it',
  ]);
  said.length = 0;
  assert.deepEqual(withLoopbackNetwork(tokenize(["--network=host"]), local, (l) => said.push(l)).length, 1);
  const remote = config({ CLEARML_API_HOST: "https://api.clear.ml", CLEARML_FILES_HOST: "https://files.clear.ml" });
  assert.deepEqual(withLoopbackNetwork([], remote, (l) => said.push(l)), []);
  assert.deepEqual(said, []);
});
