import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { parseArgs } from "../../lib/cli/args.ts";
import { parseUnit, splitExec, value } from "../service/unit_file.ts";

const CREDS = {
  CLEARML_API_HOST: "http://127.0.0.1:8008",
  CLEARML_API_ACCESS_KEY: "AKEY1234",
  CLEARML_API_SECRET_KEY: "s3cr3t-value-never-printed",
};

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("clearml-agent install-service --print prints the unit and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli(
      ["install-service", "--queue", "gpu", "--print", "--unit-dir", dir, "--env-file", join(dir, "a.env")],
      { env: CREDS },
    );
    assert.equal(r.code, 0, r.stderr);
    const unit = parseUnit(r.stdout);
    const start = splitExec(value(unit, "Service", "ExecStart")!);
    assert.equal(start[0], Deno.execPath(), "from source the unit runs the launcher");
    assert.deepEqual(start.slice(1, 3), ["run", "-P=agent"]);
    assert.deepEqual(start.slice(-4), ["daemon", "--foreground", "--queue", "gpu"]);
    assert.equal(value(unit, "Service", "EnvironmentFile"), join(dir, "a.env"));
    assert.ok(!r.stdout.includes(CREDS.CLEARML_API_SECRET_KEY) && !r.stdout.includes(CREDS.CLEARML_API_ACCESS_KEY));
    assert.deepEqual(listing(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clearml-agent install-service writes the unit and a 0600 credentials file and says how to enable it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const envFile = join(dir, "etc", "agent.env");
    const r = await runCli(
      [
        "install-service",
        "--queue",
        "gpu",
        "default",
        "--docker",
        "--user",
        "nobody",
        "--binary",
        "/usr/local/bin/clearml-agent",
        "--unit-dir",
        join(dir, "units"),
        "--env-file",
        envFile,
        "--name",
        "clearml-agent-gpu",
      ],
      { env: CREDS },
    );
    assert.equal(r.code, 0, r.stderr);
    const unitPath = join(dir, "units", "clearml-agent-gpu.service");
    const unit = parseUnit(Deno.readTextFileSync(unitPath));
    assert.equal(Deno.statSync(unitPath).mode! & 0o777, 0o644);
    assert.deepEqual(splitExec(value(unit, "Service", "ExecStart")!), [
      "/usr/local/bin/clearml-agent",
      "daemon",
      "--foreground",
      "--queue",
      "gpu",
      "default",
      "--docker",
    ]);
    assert.equal(
      value(unit, "Service", "ExecStop"),
      "/usr/local/bin/clearml-agent daemon --stop --drain --queue gpu default",
    );
    assert.equal(value(unit, "Service", "User"), "nobody");
    assert.equal(Deno.statSync(envFile).mode! & 0o777, 0o600);
    const env = Deno.readTextFileSync(envFile);
    assert.match(env, /^CLEARML_API_SECRET_KEY="s3cr3t-value-never-printed"$/m);
    assert.match(env, /^CLEARML_API_HOST="http:\/\/127\.0\.0\.1:8008"$/m);
    assert.ok(!Deno.readTextFileSync(unitPath).includes("s3cr3t"));
    assert.ok(!r.stdout.includes("s3cr3t") && !r.stderr.includes("s3cr3t"));
    assert.match(r.stdout, /systemctl enable --now clearml-agent-gpu\.service/);
    assert.match(r.stdout, /runs: clearml-agent daemon --stop --drain/);
    assert.match(r.stdout, /add "nobody" to the docker group/);
    assert.deepEqual(listing(join(dir, "etc")), ["agent.env"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clearml-agent install-service keeps an existing credentials file when no CLEARML_* variable is set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const envFile = join(dir, "agent.env");
    Deno.writeTextFileSync(envFile, 'CLEARML_API_ACCESS_KEY="by-hand"\n', { mode: 0o600 });
    const args = ["install-service", "--binary", "/bin/true", "--unit-dir", dir, "--env-file", envFile];
    const r = await runCli(args, { clearEnv: true });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Deno.readTextFileSync(envFile), 'CLEARML_API_ACCESS_KEY="by-hand"\n');
    assert.match(r.stdout, /Kept .*agent\.env as it was/);
    Deno.removeSync(envFile);
    const fresh = await runCli(args, { clearEnv: true });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(Deno.readTextFileSync(envFile), /^#CLEARML_API_SECRET_KEY=$/m);
    assert.equal(Deno.statSync(envFile).mode! & 0o777, 0o600);
    assert.match(fresh.stdout, /a template/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clearml-agent install-service rejects bad input with one line and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const blocker = join(dir, "file");
    Deno.writeTextFileSync(blocker, "");
    const table: Array<[string[], number, RegExp]> = [
      [["--user", "bad user"], 2, /Cannot run the service as "bad user": not a valid user name/],
      [["--binary", "clearml-agent"], 2, /must be an absolute path: "clearml-agent"/],
      [["--name", "a/b"], 2, /invalid unit name/],
      [["--stop-timeout", "-1"], 2, /--stop-timeout/],
      [["--unit-dir", join(blocker, "units")], 1, /Cannot create ".*file\/units"/],
    ];
    for (const [extra, code, want] of table) {
      const r = await runCli(["install-service", "--env-file", join(dir, "a.env"), ...extra], { env: CREDS });
      assert.equal(r.code, code, `${extra.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, want);
    }
    assert.deepEqual(listing(dir), ["file"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseArgs() reads install-service and doctor flags with their defaults", () => {
  const cmd = parseArgs([
    "install-service",
    "--queue",
    "a",
    "b",
    "--docker",
    "img --ipc=host",
    "--user",
    "u",
    "--stop-timeout",
    "0",
    "--config-file",
    "/c.conf",
  ]);
  assert.ok(cmd.kind === "install-service");
  assert.deepEqual(cmd.options, {
    queues: ["a", "b"],
    docker: { image: "img", args: ["--ipc=host"] },
    user: "u",
    gpus: undefined,
    cpuOnly: false,
    createQueue: false,
    name: "clearml-agent",
    binary: undefined,
    unitDir: "/etc/systemd/system",
    envFile: undefined,
    stopTimeout: 0,
    print: false,
  });
  assert.equal(cmd.global.configFile, "/c.conf");
  const doctor = parseArgs(["doctor", "--docker"]);
  assert.ok(doctor.kind === "doctor" && doctor.options.docker);
  const plain = parseArgs(["doctor"]);
  assert.ok(plain.kind === "doctor" && !plain.options.docker);
});
