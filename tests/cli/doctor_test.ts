/**
 * `clearml-agent doctor` end to end, from source under the launcher's permissions. The server side is a minimal
 * `auth.login` / `debug.ping` in the ClearML envelope on 127.0.0.1 (the embedded server is not on main yet); programs
 * come from a fake PATH so the outcome does not depend on this machine.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { fakeBin } from "../doctor/fake_bin.ts";
import { spawnServerProcess, TEST_ACCESS_KEY, TEST_SECRET_KEY } from "../helpers/server.ts";

const KEY = "DOCTORKEY1";
const SECRET = "doctor-secret-value";

function loginServer() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const ok = new URL(req.url).pathname === "/auth.login" &&
      req.headers.get("authorization") === `Basic ${btoa(`${KEY}:${SECRET}`)}`;
    const meta = { result_code: ok ? 200 : 401, result_subcode: 0, result_msg: ok ? "OK" : "Unauthorized" };
    return Response.json({ meta, data: ok ? { token: "t" } : {} }, { status: ok ? 200 : 401 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function conf(server: string, secret = SECRET): string {
  return `api {\n  api_server: "${server}"\n  credentials {\n    "access_key" = "${KEY}"\n    "secret_key" = "${secret}"\n  }\n}\n`;
}

Deno.test("clearml-agent doctor passes on a configured machine and prints one line per check", async () => {
  const server = loginServer();
  const home = await Deno.makeTempDir();
  await using bin = await fakeBin({ python3: 'echo "Python 3.11.9"', git: 'echo "git version 2.39.5"' });
  try {
    Deno.writeTextFileSync(join(home, "clearml.conf"), conf(server.url));
    const r = await runCli(["doctor"], {
      clearEnv: true,
      env: { HOME: home, PATH: bin.dir, DOCKER_HOST: `unix://${join(home, "no-docker.sock")}` },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines.map((l) => l.split(":")[0]), [
      "[ ok ] config",
      "[ ok ] server",
      "[ ok ] clock",
      "[ ok ] python",
      "[warn] uv",
      "[warn] docker",
      "[warn] nvidia runtime",
      "[warn] gpus",
      "[warn] git",
      "[ ok ] disk",
      "5 ok, 0 failed, 5 warnings",
    ], r.stdout);
    assert.equal(lines[0], `[ ok ] config: ${join(home, "clearml.conf")}: server ${server.url}`);
    assert.equal(lines[3], "[ ok ] python: python3 3.11.9");
    assert.ok(!r.stdout.includes(SECRET));
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("clearml-agent doctor exits 1 for missing configuration, rejected credentials and --docker without Docker", async () => {
  const server = loginServer();
  const home = await Deno.makeTempDir();
  await using bin = await fakeBin({ python3: 'echo "Python 3.11.9"', git: 'echo "git version 2.39.5"' });
  const env = { HOME: home, PATH: bin.dir, DOCKER_HOST: `unix://${join(home, "no-docker.sock")}` };
  try {
    const none = await runCli(["doctor"], { clearEnv: true, env });
    assert.equal(none.code, 1);
    assert.match(none.stdout, /^\[FAIL\] config: no configuration file .*: missing api\.api_server/);
    assert.match(none.stdout, /\n\[skip\] server: no usable configuration\n\[skip\] clock: /);

    Deno.writeTextFileSync(join(home, "clearml.conf"), conf(server.url, "wrong-secret"));
    const rejected = await runCli(["doctor"], { clearEnv: true, env });
    assert.equal(rejected.code, 1);
    assert.match(rejected.stdout, /\n\[FAIL\] server: .* rejected the credentials: 401 Unauthorized\n\[ ok \] clock/);
    assert.ok(!rejected.stdout.includes("wrong-secret"));

    Deno.writeTextFileSync(join(home, "clearml.conf"), conf(server.url));
    const docker = await runCli(["doctor", "--docker"], { clearEnv: true, env });
    assert.equal(docker.code, 1);
    assert.match(docker.stdout, /\n\[FAIL\] docker: Cannot reach the engine at unix:\/\/.*no-docker\.sock: /);
    assert.match(docker.stdout, /\n\[ ok \] python: /);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("clearml-agent doctor against the embedded server: reachable, and the clock check reads its Date header", async () => {
  const home = await Deno.makeTempDir();
  const server = await spawnServerProcess(join(home, "server"));
  await using bin = await fakeBin({ python3: 'echo "Python 3.11.9"', git: 'echo "git version 2.39.5"' });
  try {
    const text = conf(server.url).replace(KEY, TEST_ACCESS_KEY).replace(SECRET, TEST_SECRET_KEY);
    Deno.writeTextFileSync(join(home, "clearml.conf"), text);
    const r = await runCli(["doctor"], {
      clearEnv: true,
      env: { HOME: home, PATH: bin.dir, DOCKER_HOST: `unix://${join(home, "no-docker.sock")}` },
    });
    assert.match(
      r.stdout,
      /\n\[ ok \] server: [^\n]*\n\[ ok \] clock: [+-]\d+\.\d s from the server's clock\n/,
      r.stdout,
    );
  } finally {
    await server.stop();
    await Deno.remove(home, { recursive: true });
  }
});
