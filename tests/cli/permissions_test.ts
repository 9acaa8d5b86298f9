/**
 * Least privilege per subcommand (lib/cli/permissions.ts): each command line, run from source with the launcher's
 * permissions (the compiled binary's set), tries one real action per permission after parsing
 * (`CLEARML_AGENT_TEST_PERMISSION_PROBE=1`, lib/cli/_permission_probe.ts) and is refused exactly what its row of the
 * table drops, while the command itself still works. docs/security.md lists the same table.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ParsedCommand } from "../../lib/cli/args_types.ts";
import { SUBCOMMANDS } from "../../lib/cli/args_types.ts";
import { parseArgs } from "../../lib/cli/args.ts";
import { droppedPermissions, PERMISSION_NAMES, PERMISSION_TABLE, permissionRow } from "../../lib/cli/permissions.ts";
import { PROBE_VAR } from "../../lib/cli/_permission_probe.ts";
import { type CliResult, ROOT, runCli } from "../helpers/cli.ts";
import { spawnServerProcess, TEST_ACCESS_KEY, TEST_SECRET_KEY } from "../helpers/server.ts";
import { ApiClient } from "../../lib/api/client.ts";
import { startUserEnv } from "./_user_env.ts";

type Outcome = "allowed" | "refused";

/** The probe's report: permission (and `proc`) → outcome. */
function probed(output: string): Record<string, Outcome> {
  const report: Record<string, Outcome> = {};
  for (const m of output.matchAll(/^permission probe: (\w+) (allowed|refused)$/gm)) report[m[1]] = m[2] as Outcome;
  assert.ok(Object.keys(report).length >= 8, `no probe report in:\n${output}`);
  return report;
}

/** Assert the probe saw exactly these refused (everything else allowed). */
function assertRefused(res: CliResult | string, refused: string[]): void {
  const report = probed(typeof res === "string" ? res : res.stderr);
  const got = Object.entries(report).filter(([, o]) => o === "refused").map(([n]) => n).sort();
  assert.deepEqual(got, [...refused].sort(), JSON.stringify(report));
}

const PROBE = { [PROBE_VAR]: "1" };

Deno.test("permission table: one row for every subcommand, the same rows in docs/security.md", async () => {
  const argv: Record<string, string[]> = {
    execute: ["execute", "--id", "abc"],
    build: ["build", "--id", "abc", "--target", "/tmp/x"],
    list: ["list"],
    daemon: ["daemon", "--queue", "q"],
    config: ["config"],
    init: ["init"],
    server: ["server"],
    task: ["task", "list"],
    "install-service": ["install-service", "--queue", "q"],
    doctor: ["doctor"],
    "k8s-glue": ["k8s-glue", "--queue", "q"],
  };
  for (const name of SUBCOMMANDS) {
    const cmd: ParsedCommand = parseArgs(argv[name]);
    assert.equal(cmd.kind, name);
    assert.ok(permissionRow(cmd), name);
  }
  // Where /proc is read, nothing is dropped (Deno reads /proc only with every permission).
  for (const name of ["daemon", "execute", "build", "doctor"]) {
    assert.deepEqual(droppedPermissions(parseArgs(argv[name])), [], name);
  }
  assert.deepEqual(droppedPermissions(parseArgs(["server"])), ["run", "ffi", "import"]);
  assert.deepEqual(droppedPermissions(parseArgs(["server", "--stop"])), ["ffi", "import"]);
  assert.deepEqual(droppedPermissions(parseArgs(["task", "create"])), ["write", "ffi", "import"]);
  const doc = await Deno.readTextFile(join(ROOT, "docs", "security.md"));
  for (const row of PERMISSION_TABLE) {
    const keeps = row.keeps.length === 0
      ? "nothing"
      : row.keeps.length === PERMISSION_NAMES.length
      ? "all"
      : row.keeps.map((p) => `\`${p}\``).join(", ");
    const line = `| \`${row.command}\` | ${keeps} | ${row.why} |`;
    assert.ok(doc.includes(line), `docs/security.md lacks the row:\n${line}`);
  }
});

Deno.test("--version keeps nothing: every action is refused, the version is printed", async () => {
  const res = await runCli(["--version"], { env: PROBE });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /version \d+\.\d+\.\d+/);
  assertRefused(res, ["read", "write", "net", "env", "run", "sys", "ffi", "proc"]);
});

Deno.test("user commands keep only what they use, and still work", async (t) => {
  const env = await startUserEnv();
  const cli = (args: string[]) => runCli(args, { env: { ...env.env, ...PROBE } });
  try {
    await t.step("config: cannot write, connect or run; prints the configuration", async () => {
      const res = await cli(["config", "--json"]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).api.api_server, env.srv.url);
      assertRefused(res, ["write", "net", "run", "ffi", "proc"]);
    });
    await t.step("list: cannot write or run; lists the workers", async () => {
      const res = await cli(["list", "--json"]);
      assert.equal(res.code, 0, res.stderr);
      assert.ok(Array.isArray(JSON.parse(res.stdout).workers));
      assertRefused(res, ["write", "run", "ffi", "proc"]);
    });
    const script = join(env.dir, "one.py");
    await Deno.writeTextFile(script, 'print("one")\n');
    let id = "";
    await t.step("task create: keeps run (git), cannot write; makes the task", async () => {
      const res = await cli(["task", "create", "--project", "Perm/Probe", "--name", "probe task", "--script", script]);
      assert.equal(res.code, 0, res.stderr);
      id = res.stdout.trim();
      assert.match(id, /^[0-9a-f]{32}$/);
      assertRefused(res, ["write", "ffi", "proc"]);
    });
    await t.step("task show: cannot write or run; shows the task", async () => {
      const res = await cli(["task", "show", id, "--json"]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).id, id);
      assertRefused(res, ["write", "run", "ffi", "proc"]);
    });
    await t.step("init: writes its file, cannot run", async () => {
      const target = join(env.dir, "init", "clearml.conf");
      const res = await cli([
        "init",
        "--non-interactive",
        "--api-server",
        env.srv.url,
        "--access-key",
        TEST_ACCESS_KEY,
        "--secret-key",
        TEST_SECRET_KEY,
        "--target",
        target,
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(await Deno.readTextFile(target), new RegExp(TEST_ACCESS_KEY));
      assertRefused(res, ["run", "ffi", "proc"]);
    });
    await t.step("install-service --print: cannot connect or run; prints the unit", async () => {
      const res = await cli(["install-service", "--queue", "q", "--print", "--unit-dir", join(env.dir, "units")]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /ExecStart=/);
      assertRefused(res, ["net", "run", "ffi", "proc"]);
    });
  } finally {
    await env.close();
  }
});

Deno.test("server: answers requests and writes its data folder while a spawn inside it is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "clearml_perm_server_" });
  const dataDir = join(dir, "server");
  const srv = await spawnServerProcess(dataDir, { env: PROBE });
  try {
    const client = new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
    const made = await client.call<{ id: string }>("queues.create", { name: "perm-probe" });
    assert.match(made.id, /^[0-9a-f]{32}$/);
    assert.equal((await Deno.readTextFile(join(dataDir, "server.pid"))).trim(), String(srv.pid));
    assertRefused(srv.output(), ["run", "ffi", "proc"]);
    // A second server on the same folder is refused without `ps`: the data folder's lock.
    const twice = await runCli(["server", "--port", "0", "--data-dir", dataDir]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, new RegExp(`A server is already running on data dir ".*" \\(pid ${srv.pid}\\)`));
  } finally {
    await srv.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
  // `server --stop` keeps `run` (it checks the process with `ps` and signals it).
  const stop = await runCli(["server", "--stop", "--data-dir", dataDir], { env: PROBE });
  assert.equal(stop.code, 1);
  assert.match(stop.stderr, /No server is running on data dir/);
  assertRefused(stop, ["ffi", "proc"]);
});

Deno.test("daemon keeps every permission: it reads /proc", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "clearml_perm_daemon_" });
  try {
    const res = await runCli(["daemon", "--stop"], { env: { ...PROBE, TMPDIR: tmp } });
    assertRefused(res, []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
