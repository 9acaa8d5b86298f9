/** The task container's entry script, run by a real /bin/sh with a stand-in for the agent. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { entryScript, OPENCV_PACKAGES, preparationScript, shQuote } from "../../../executors/docker/entry_script.ts";
import { ContainerRun } from "../../../executors/docker/executor.ts";
import { requireEngine, TEST_IMAGE, TEST_LABEL } from "./_engine_env.ts";

async function runScript(text: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "entry.sh"), text);
    const out = await new Deno.Command("/bin/sh", {
      args: [join(dir, "entry.sh")],
      env: { HOME: dir, PATH: "/usr/bin:/bin", ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, out: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("entryScript() sources the env file, runs the admin and task scripts in order, marks the start and execs the agent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "secrets.env"), "export SECRET_TOKEN='s3cr3t value'\n");
    const script = entryScript({
      agentArgv: ["/bin/sh", "-c", 'echo "agent sees $SECRET_TOKEN and $FROM_SETUP" >&2'],
      standalone: true,
      installOpencv: true,
      extraScript: ["echo admin line"],
      setupScript: "echo task line\nexport FROM_SETUP=yes\n",
      envFile: join(dir, "secrets.env"),
      startedMarker: join(dir, "started"),
    });
    const run = await runScript(script);
    assert.equal(run.code, 0);
    assert.deepEqual(run.out.trim().split("\n"), ["admin line", "task line", "agent sees s3cr3t value and yes"]);
    await Deno.stat(join(dir, "started"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("entryScript() exits before the agent (no start marker) when the task's setup script exits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = await runScript(
      entryScript({
        agentArgv: ["echo", "never"],
        standalone: true,
        installOpencv: false,
        setupScript: "exit 7",
        startedMarker: join(dir, "started"),
      }),
    );
    assert.equal(run.code, 7);
    await assert.rejects(() => Deno.stat(join(dir, "started")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("entryScript() installs only what is missing with apt, honours docker_install_opencv_libs, never touches EXTERNALLY-MANAGED", () => {
  const base = { agentArgv: ["agent"], startedMarker: "/m", standalone: false };
  const withLibs = entryScript({ ...base, installOpencv: true });
  for (const p of OPENCV_PACKAGES) assert.ok(withLibs.includes(p), p);
  assert.match(withLibs, /command -v apt-get/);
  assert.match(withLibs, /command -v git/);
  const noLibs = entryScript({ ...base, installOpencv: false });
  assert.ok(!noLibs.includes("libsm6"));
  assert.ok(!withLibs.includes("EXTERNALLY-MANAGED") && !withLibs.includes("pip install"));
  const standalone = entryScript({ ...base, standalone: true, installOpencv: true });
  assert.ok(!standalone.includes("apt-get"));
  const custom = entryScript({ ...base, installOpencv: true, initScript: ["echo custom init"] });
  assert.ok(custom.includes("echo custom init") && !custom.includes("apt-get"));
});

Deno.test("shQuote() quotes only what needs it", () => {
  assert.deepEqual(["a", "/x/y.z", "it's", "a b", ""].map(shQuote), ["a", "/x/y.z", `'it'\\''s'`, "'a b'", "''"]);
});

Deno.test("preparationScript() installs what is missing and fails, instead of warning, when apt fails", async () => {
  const script = preparationScript(true);
  for (const p of OPENCV_PACKAGES) assert.ok(script.includes(p), p);
  assert.ok(!script.includes("WARNING"));
  // Real apt in the test image, against a mirror that refuses connections: the preparation must fail (so that it is
  // not cached), where the entry script only warns and goes on.
  const engine = await requireEngine();
  const deadMirror = "echo 'deb http://127.0.0.1:9/debian bookworm main' > /etc/apt/sources.list; " +
    "rm -f /etc/apt/sources.list.d/*; ";
  const [key, value] = TEST_LABEL.split("=");
  for (
    const [text, expectOk] of [[script, false], [
      entryScript({
        agentArgv: ["true"],
        startedMarker: "/tmp/m",
        standalone: false,
        installOpencv: true,
        finalLines: ["echo entry-done"],
      }),
      true,
    ]] as const
  ) {
    const run = await ContainerRun.start(engine, {
      Image: TEST_IMAGE,
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: [deadMirror + text],
      Labels: { [key]: value },
    });
    try {
      const out = await new Response(run.output).text();
      const code = (await run.status).code;
      assert.equal(code === 0, expectOk, out);
      if (expectOk) assert.match(out, /WARNING: apt-get install of libsm6/);
      if (expectOk) assert.match(out, /entry-done/);
    } finally {
      await run.remove();
    }
  }
});
