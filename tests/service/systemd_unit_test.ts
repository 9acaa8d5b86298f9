import assert from "node:assert/strict";
import { join } from "node:path";
import {
  daemonArgv,
  environmentFile,
  execWord,
  type ServiceSpec,
  stopArgv,
  systemdUnit,
} from "../../lib/service/systemd_unit.ts";
import { parseUnit, splitExec, value } from "./unit_file.ts";

function spec(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: "clearml-agent",
    agent: ["/usr/local/bin/clearml-agent"],
    queues: ["default"],
    envFile: "/etc/clearml-agent/clearml-agent.env",
    stopTimeoutSec: 1800,
    writtenBy: "clearml-agent 0.1.0",
    ...overrides,
  };
}

Deno.test("execWord() doubles % and $ and quotes words systemd would split or unescape", () => {
  const table: Array<[string, string]> = [
    ["daemon", "daemon"],
    ["--queue=gpu", "--queue=gpu"],
    ["a b", '"a b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["50%", "50%%"],
    ["$HOME", "$$HOME"],
    ["", '""'],
    [";", '";"'],
    ["it's", `"it's"`],
  ];
  for (const [word, want] of table) {
    assert.equal(execWord(word), want, word);
    assert.deepEqual(splitExec(`/bin/x ${execWord(word)}`), ["/bin/x", word], word);
  }
  assert.throws(() => execWord("two\nlines"), /control character/);
});

Deno.test("systemdUnit() restarts always, drains on stop and keeps credentials in the environment file", () => {
  const unit = parseUnit(systemdUnit(spec()));
  assert.deepEqual([...unit.keys()], ["Unit", "Service", "Install"]);
  assert.equal(value(unit, "Service", "Restart"), "always");
  assert.equal(value(unit, "Unit", "StartLimitIntervalSec"), "0");
  assert.equal(value(unit, "Service", "KillMode"), "mixed");
  assert.equal(value(unit, "Service", "TimeoutStopSec"), "1800");
  assert.equal(value(unit, "Service", "Type"), "simple");
  assert.equal(value(unit, "Service", "EnvironmentFile"), "/etc/clearml-agent/clearml-agent.env");
  assert.equal(value(unit, "Service", "User"), undefined);
  assert.equal(value(unit, "Install", "WantedBy"), "multi-user.target");
  assert.deepEqual(splitExec(value(unit, "Service", "ExecStart")!), [
    "/usr/local/bin/clearml-agent",
    "daemon",
    "--foreground",
    "--queue",
    "default",
  ]);
  assert.deepEqual(splitExec(value(unit, "Service", "ExecStop")!), [
    "/usr/local/bin/clearml-agent",
    "daemon",
    "--stop",
    "--drain",
    "--queue",
    "default",
  ]);
  assert.ok(!/CLEARML_API|secret|access_key/i.test(systemdUnit(spec()).replace(/^#.*\n/gm, "")));
});

Deno.test("systemdUnit() passes queues, docker, GPUs, user and config file through to the daemon and its stop", () => {
  const s = spec({
    queues: ["gpu 1", "default"],
    docker: { image: "nvidia/cuda:12.4.1-runtime-ubuntu22.04", args: ["--ipc=host", "-e", "A=50%"] },
    gpus: "0,1",
    createQueue: true,
    user: "clearml",
    configFile: "/etc/clearml-agent/clearml.conf",
    stopTimeoutSec: 0,
  });
  const unit = parseUnit(systemdUnit(s));
  assert.deepEqual(splitExec(value(unit, "Service", "ExecStart")!), daemonArgv(s));
  assert.deepEqual(daemonArgv(s).slice(1), [
    "daemon",
    "--foreground",
    "--config-file",
    "/etc/clearml-agent/clearml.conf",
    "--gpus",
    "0,1",
    "--queue",
    "gpu 1",
    "default",
    "--create-queue",
    "--docker",
    "nvidia/cuda:12.4.1-runtime-ubuntu22.04 --ipc=host -e A=50%",
  ]);
  assert.deepEqual(splitExec(value(unit, "Service", "ExecStop")!), stopArgv(s));
  // The stop names the daemon by the arguments it was started with: config file, GPUs and queues (checked above).
  assert.deepEqual(stopArgv(s).slice(1, 4), ["daemon", "--stop", "--drain"]);
  assert.deepEqual(stopArgv(s).slice(4), daemonArgv(s).slice(3, 10));
  assert.equal(value(unit, "Service", "User"), "clearml");
  assert.equal(value(unit, "Service", "TimeoutStopSec"), "infinity");
  assert.equal(value(unit, "Unit", "Wants"), "network-online.target docker.service");
  assert.match(value(unit, "Unit", "Description")!, /queues: gpu 1, default; docker mode/);
  const bare = daemonArgv(spec({ docker: { args: [] }, cpuOnly: true, queues: [] }));
  assert.deepEqual(bare.slice(1), ["daemon", "--foreground", "--cpu-only", "--docker"]);
});

Deno.test("systemdUnit() refuses a relative command, a bad user name and a line break", () => {
  assert.throws(() => systemdUnit(spec({ agent: ["clearml-agent"] })), /must be an absolute path/);
  assert.throws(() => systemdUnit(spec({ user: "root\nExecStartPre=/bin/sh" })), /not a valid user name/);
  assert.throws(() => systemdUnit(spec({ queues: ["a\nb"] })), /control character/);
  assert.throws(() => systemdUnit(spec({ envFile: "/x\n[Service]" })), /control character/);
});

Deno.test("environmentFile() writes the set CLEARML_* variables quoted, or a template when none is set", () => {
  const text = environmentFile(
    {
      CLEARML_API_HOST: "http://10.0.0.1:8008",
      CLEARML_API_ACCESS_KEY: "AK",
      CLEARML_API_SECRET_KEY: 'se"cr$et\\`x',
      CLEARML_WEB_HOST: "",
      HOME: "/root",
    },
    "clearml-agent 0.1.0",
  );
  const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
  assert.deepEqual(lines, [
    'CLEARML_API_HOST="http://10.0.0.1:8008"',
    'CLEARML_API_ACCESS_KEY="AK"',
    'CLEARML_API_SECRET_KEY="se\\"cr\\$et\\\\\\`x"',
  ]);
  const template = environmentFile({}, "clearml-agent 0.1.0");
  assert.deepEqual(template.split("\n").filter((l) => l && !l.startsWith("#")), []);
  assert.match(template, /#CLEARML_API_ACCESS_KEY=/);
  assert.throws(() => environmentFile({ CLEARML_API_SECRET_KEY: "a\nB=1" }, "x"), /control character/);
  const merged = environmentFile(
    { CLEARML_API_ACCESS_KEY: "NEW" },
    "x",
    '# old\nCLEARML_API_ACCESS_KEY="OLD"\nHTTPS_PROXY="http://proxy:3128"\nexport CLEARML_AGENT_GIT_PASS="p"\n',
  );
  assert.deepEqual(merged.split("\n").filter((l) => l && !l.startsWith("#")), [
    'CLEARML_API_ACCESS_KEY="NEW"',
    'HTTPS_PROXY="http://proxy:3128"',
    'export CLEARML_AGENT_GIT_PASS="p"',
  ]);
});

const analyze = (() => {
  try {
    return new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
if (!analyze) {
  const why = "systemd-analyze is not installed (scripts/ci_services.sh installs it)";
  if (Deno.env.get("CI")) throw new Error(`${why}: required under CI`);
  console.warn(`skipping the systemd-analyze tests: ${why}`);
}

async function verify(unitText: string, dir: string) {
  const path = join(dir, "clearml-agent.service");
  Deno.writeTextFileSync(path, unitText);
  const out = await new Deno.Command("systemd-analyze", { args: ["verify", path], stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name: "systemdUnit() output passes systemd-analyze verify with no warning, and a broken unit does not",
  ignore: !analyze,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const envFile = join(dir, "agent.env");
      Deno.writeTextFileSync(envFile, environmentFile({ CLEARML_API_ACCESS_KEY: "AK" }, "x"), { mode: 0o600 });
      const s = spec({
        agent: ["/bin/true"],
        envFile,
        queues: ["gpu", "default"],
        docker: { image: "img", args: ["--ipc=host"] },
        gpus: "0",
        user: "root",
        stopTimeoutSec: 600,
      });
      const good = await verify(systemdUnit(s), dir);
      assert.equal(good.stderr, "");
      assert.equal(good.code, 0);
      const broken = await verify(systemdUnit({ ...s, agent: [join(dir, "no-such-agent")] }), dir);
      assert.notEqual(broken.code, 0);
      assert.match(broken.stderr, /no-such-agent is not executable/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
