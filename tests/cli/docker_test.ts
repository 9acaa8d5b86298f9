/**
 * `daemon --docker` end to end against the real Docker engine and the local base image: each task in its own
 * container running this agent from the mounted sources.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createGitFixture } from "../helpers/git_repo.ts";
import { serveGitHttp } from "../helpers/git_http_server.ts";
import { makeTinyIndex, serveFolder } from "../helpers/execute_env.ts";
import { TEST_ACCESS_KEY, TEST_SECRET_KEY } from "../helpers/server.ts";
import { requireEngine } from "../executors/docker/_engine_env.ts";
import { scriptTask, startDockerEnv, taskOutput, TEST_IMAGE } from "./_docker_env.ts";

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

const ended = (t: Record<string, unknown>) => ["completed", "failed", "stopped"].includes(t.status as string);

Deno.test("daemon --docker runs a repository task with a diff and requirements in the base image; a second run reuses the venv and repository caches", async () => {
  const env = await startDockerEnv({ git_user: "alice", git_pass: "git-pa55-docker" });
  const fixture = await createGitFixture(env.dir);
  const gitServer = serveGitHttp(env.dir, "alice", "git-pa55-docker");
  await makeTinyIndex(join(env.dir, "index"));
  const index = serveFolder(join(env.dir, "index"));
  try {
    const app = join(fixture.dir, "src", "app.py");
    const original = await Deno.readTextFile(app);
    await Deno.writeTextFile(
      app,
      original.replace('print("version two")', 'import tinypkg\nprint("patched:", tinypkg.greet())'),
    );
    const diff = await git(fixture.dir, "diff");
    await git(fixture.dir, "checkout", "--", "src/app.py");
    const id = await env.createFull({
      script: {
        repository: `${gitServer.url}/project`,
        branch: "main",
        entry_point: "app.py",
        working_dir: "src",
        binary: "python3",
        diff,
        requirements: { pip: `--index-url ${index.url}/simple\ntinypkg==0.1\n` },
      },
    });
    const q = await env.queue("docker_repo");
    await env.enqueue(id, q);
    const d = env.dockerDaemon("docker_repo");
    const first = await env.waitTask(id, ended, 180_000);
    assert.equal(first.status, "completed", `${first.status_reason}\n${d.output()}`);
    const lines = await env.logLines(id);
    assert.deepEqual(taskOutput(lines).slice(0, 3), [
      "patched: tinypkg says hi",
      "hello from helper",
      "Process completed successfully",
    ]);
    assert.ok(
      lines.some((l) => l.startsWith(`Running Task ${id} inside default docker: ${TEST_IMAGE}`)),
      lines.join("\n"),
    );

    await env.client.call("tasks.reset", { task: id, force: true });
    await env.enqueue(id, q);
    const again = await env.waitTask(id, ended, 180_000);
    assert.equal(again.status, "completed", d.output());
    const second = await env.logLines(id);
    assert.ok(
      second.some((l) => l.startsWith("::: Using Cached environment /root/.clearml/venvs-cache/")),
      second.join("\n"),
    );
    assert.ok(
      second.some((l) => l.startsWith('Using cached repository in "/root/.clearml/vcs-cache/')),
      second.join("\n"),
    );
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await gitServer.close();
    await index.close();
    await env.close();
  }
});

Deno.test("daemon --docker gives the task only its GPUs, private config and secret files, and keeps secrets out of docker inspect and the log", async () => {
  const engine = await requireEngine();
  const env = await startDockerEnv({ git_pass: "git-pa55-hidden" });
  let release = false;
  const gate = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(release ? "go" : "wait"),
  );
  try {
    const code = `
import os, stat, time, urllib.request
mode = lambda p: oct(stat.S_IMODE(os.stat(p).st_mode))
print("gpus", os.environ.get("NVIDIA_VISIBLE_DEVICES"), os.environ.get("CUDA_VISIBLE_DEVICES"))
print("modes", mode("/tmp/clearml.conf"), mode(os.environ["CLEARML_CONFIG_FILE"]), mode("/opt/clearml/secrets.env"))
print("token", os.environ.get("MY_API_TOKEN") == "tok-" + "123456")
print("ready", flush=True)
while urllib.request.urlopen("http://127.0.0.1:${gate.addr.port}/").read() != b"go":
    time.sleep(0.05)
`;
    const id = await env.createFull({
      script: scriptTask(code),
      container: { image: TEST_IMAGE, arguments: "-e MY_API_TOKEN=tok-123456" },
    });
    await env.enqueue(id, await env.queue("docker_gpus"));
    const d = env.dockerDaemon("docker_gpus", ["--gpus", "1,3"]);
    await d.waitFor(/^ready$/m, 120_000);
    const [container] = await engine.listContainers({ filters: { label: [`clearml-task-id=${id}`] } });
    const inspected = JSON.stringify(await engine.getContainer(container.Id).inspect());
    for (const secret of [TEST_SECRET_KEY, TEST_ACCESS_KEY, "git-pa55-hidden", "tok-123456"]) {
      assert.ok(!inspected.includes(secret), `docker inspect shows "${secret}"`);
    }
    const runDirs = [...Deno.readDirSync(join(env.stateDir, "containers"))].map((e) =>
      join(env.stateDir, "containers", e.name)
    );
    assert.equal(runDirs.length, 1);
    assert.equal((await Deno.stat(runDirs[0])).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(join(runDirs[0], "clearml.conf"))).mode! & 0o777, 0o600);
    await assert.rejects(() => Deno.stat(join(runDirs[0], "secrets.env")), "the env file is removed once started");
    release = true;
    const task = await env.waitTask(id, ended, 60_000);
    assert.equal(task.status, "completed", d.output());
    const out = taskOutput(await env.logLines(id));
    assert.deepEqual(out.slice(0, 3), ["gpus 1,3 1,3", "modes 0o600 0o600 0o600", "token True"]);
    const everything = d.output() + (await env.logLines(id)).join("\n");
    for (const secret of [TEST_SECRET_KEY, "git-pa55-hidden", "tok-123456"]) {
      assert.ok(!everything.includes(secret), secret);
    }
    assert.match(everything, /-e MY_API_TOKEN=\*{8}/);
    assert.deepEqual(await env.leftovers(), []);
    assert.deepEqual([...Deno.readDirSync(join(env.stateDir, "containers"))], []);
  } finally {
    await gate.shutdown();
    await env.close();
  }
});

Deno.test("daemon --docker stops an aborted task's container (grace, then kill): task stopped, no container left", async () => {
  const env = await startDockerEnv({ abort_grace_s: 1 });
  try {
    const id = await env.createFull({
      script: scriptTask(`
import subprocess, time
subprocess.Popen(["bash", "-c", "trap '' TERM; while true; do sleep 0.2; done"])
print("running", flush=True)
time.sleep(600)
`),
    });
    await env.enqueue(id, await env.queue("docker_abort"));
    const d = env.dockerDaemon("docker_abort");
    await d.waitFor(/^running$/m, 120_000);
    await env.client.call("tasks.stop", { task: id });
    const task = await env.waitTask(id, ended, 30_000);
    for (let i = 0; i < 100 && (await env.leftovers()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await env.leftovers(), []);
    assert.equal(task.status, "stopped");
    assert.equal(task.status_reason, "user abort");
    assert.ok((await env.logLines(id)).includes("Process aborted by user"));
  } finally {
    await env.close();
  }
});

Deno.test("daemon --docker runs an image-mode task on the image's own interpreter, with no venv and no install", async () => {
  const env = await startDockerEnv();
  try {
    const id = await env.createFull({
      script: scriptTask(
        `import sys\nprint("python", sys.executable, sys.prefix == sys.base_prefix)`,
        "not-installable-package==9.9",
      ),
      container: { image: TEST_IMAGE, arguments: "-e CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL=1" },
    });
    await env.enqueue(id, await env.queue("docker_image_mode"));
    const d = env.dockerDaemon("docker_image_mode");
    const task = await env.waitTask(id, ended, 120_000);
    assert.equal(task.status, "completed", `${task.status_reason}\n${d.output()}`);
    const lines = await env.logLines(id);
    assert.deepEqual(taskOutput(lines)[0], "python /usr/bin/python3.11 True");
    assert.ok(lines.some((l) => /^Image mode \(CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL is set\)/.test(l)));
    assert.ok(!lines.some((l) => /^Installing \d+ requirement/.test(l)), lines.join("\n"));
  } finally {
    await env.close();
  }
});

Deno.test("a restarted daemon removes the container its killed predecessor left and fails the task (agent restarted)", async () => {
  const env = await startDockerEnv();
  try {
    const id = await env.createFull({ script: scriptTask(`import time\nprint("long", flush=True)\ntime.sleep(600)`) });
    await env.enqueue(id, await env.queue("docker_restart"));
    const first = env.dockerDaemon("docker_restart");
    await first.waitFor(/^long$/m, 120_000);
    await first.stop("SIGKILL");
    assert.equal((await env.leftovers()).length, 1, "the container outlives a killed daemon");
    const second = env.dockerDaemon("docker_restart");
    await second.waitFor(/Listening to queues/, 60_000);
    assert.match(second.output(), new RegExp(`Removing container .* of a dead run of task ${id}`));
    const task = await env.waitTask(id, ended, 10_000);
    assert.deepEqual([task.status, task.status_reason], ["failed", "agent restarted"]);
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await env.close();
  }
});

Deno.test("execute --docker runs one task in a container under full monitoring", async () => {
  const env = await startDockerEnv();
  try {
    const id = await env.createFull({
      script: scriptTask(`import os\nprint("single", os.path.exists("/.dockerenv"))`),
    });
    const res = await env.cli(["execute", "--id", id, "--docker", TEST_IMAGE], env.dockerEnv);
    assert.equal(res.code, 0, res.out);
    const task = await env.task(id);
    assert.equal(task.status, "completed", `${task.status_reason}\n${res.out}`);
    assert.deepEqual(taskOutput(await env.logLines(id)).slice(0, 1), ["single True"]);
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await env.close();
  }
});

Deno.test("a daemon stopped with SIGTERM stops its running container: task stopped (agent shutdown), no container left", async () => {
  const env = await startDockerEnv({ abort_grace_s: 1 });
  try {
    const id = await env.createFull({ script: scriptTask(`import time\nprint("busy", flush=True)\ntime.sleep(600)`) });
    await env.enqueue(id, await env.queue("docker_shutdown"));
    const d = env.dockerDaemon("docker_shutdown");
    await d.waitFor(/^busy$/m, 120_000);
    assert.equal(await d.stop("SIGTERM"), 0);
    const task = await env.task(id);
    assert.deepEqual([task.status, task.status_reason], ["stopped", "agent shutdown"]);
    assert.deepEqual(await env.leftovers(), []);
  } finally {
    await env.close();
  }
});
