/** Host folders of a task container: caches, SSH access, and the k8s host-mount translation (§8.9, §8.10). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../../lib/config/load.ts";
import { hostMountTranslation, stageSelf, taskMounts, translatePath } from "../../../executors/docker/mounts.ts";
import type { RunFiles } from "../../../executors/docker/files.ts";

function runFiles(dir: string): RunFiles {
  return {
    dir,
    config: join(dir, "clearml.conf"),
    envFile: join(dir, "secrets.env"),
    runDir: join(dir, "run"),
    exitInfo: join(dir, "run", "exit.json"),
    started: join(dir, "run", "started"),
  };
}

Deno.test("hostMountTranslation() and translatePath() rewrite pod paths to node paths and refuse the rest", () => {
  assert.equal(hostMountTranslation({}), null);
  const t = hostMountTranslation({ CLEARML_AGENT_K8S_HOST_MOUNT: "/mnt/node/:/root/.clearml" })!;
  assert.deepEqual(t, { node: "/mnt/node", pod: "/root/.clearml" });
  assert.deepEqual(hostMountTranslation({ TRAINS_AGENT_DOCKER_HOST_MOUNT: "/a:/b" }), { node: "/a", pod: "/b" });
  assert.throws(
    () => hostMountTranslation({ CLEARML_AGENT_DOCKER_HOST_MOUNT: "nocolon" }),
    /expected "<node path>:<pod path>"/,
  );
  assert.equal(translatePath("/root/.clearml/vcs-cache", t), "/mnt/node/vcs-cache");
  assert.equal(translatePath("/root/.clearml", t), "/mnt/node");
  assert.equal(translatePath("/root/.clearmlx", t), null);
  assert.equal(translatePath("/var/x", null), "/var/x");
});

Deno.test("taskMounts() mounts the caches at the internal paths, ~/.ssh read-only, or the ssh agent's socket", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(home, ".ssh"));
    await Deno.writeTextFile(join(home, ".gitconfig"), "[user]\n");
    const loaded = loadConfig({ env: {}, home, hostname: "h" });
    const expand = (p: string) => p.startsWith("~/") ? join(home, p.slice(2)) : p;
    const self = {
      argv: ["/opt/clearml/mnt/clearml-agent"],
      mounts: [{ source: "/bin/sh", target: "/opt/clearml/mnt/clearml-agent" }],
      env: {},
      compiled: true,
    };
    const base = {
      config: loaded.typed,
      expand,
      self,
      files: runFiles(join(home, "run")),
      toolsDir: join(home, "tools"),
      translation: null,
      say: () => {},
    };
    const plan = await taskMounts({ ...base, hostEnv: { HOME: home } });
    const byTarget = new Map(plan.binds.map((b) => [b.target, b]));
    assert.deepEqual(byTarget.get("/root/.clearml/venvs-cache"), {
      source: join(home, ".clearml/venvs-cache"),
      target: "/root/.clearml/venvs-cache",
      readOnly: false,
    });
    for (
      const t of [
        "/root/.clearml/vcs-cache",
        "/root/.cache/pip",
        "/root/.cache/uv",
        "/var/cache/apt/archives",
        "/root/.clearml/pip-download-cache",
        "/clearml_agent_cache",
        "/opt/clearml/tools",
      ]
    ) {
      assert.ok(byTarget.has(t), t);
    }
    assert.equal(byTarget.get("/tmp/clearml.conf")?.readOnly, true);
    assert.equal(byTarget.get("/opt/clearml/mnt/clearml-agent")?.readOnly, true);
    assert.equal(byTarget.get("/.ssh")?.readOnly, true);
    assert.equal(byTarget.get("/root/.gitconfig")?.readOnly, true);
    assert.deepEqual(plan.sshCopy, { from: "/.ssh", to: "~/.ssh" });
    await Deno.stat(join(home, ".clearml", "pip-cache"));
    assert.ok(!byTarget.has("/root/.cache/pypoetry"), "poetry's cache is mounted only for poetry");
    const agent = loaded.typed.agent;
    const poetry = {
      ...loaded.typed,
      agent: { ...agent, package_manager: { ...agent.package_manager, type: "poetry" } },
    };
    const poetryPlan = await taskMounts({ ...base, config: poetry, hostEnv: { HOME: home } });
    assert.ok(
      poetryPlan.binds.some((b) =>
        b.target === "/root/.cache/pypoetry" && b.source === join(home, ".clearml/poetry-cache")
      ),
    );

    const sock = join(home, "agent.sock");
    const listener = Deno.listen({ transport: "unix", path: sock });
    try {
      const withAgent = await taskMounts({ ...base, hostEnv: { HOME: home, SSH_AUTH_SOCK: sock } });
      assert.equal(withAgent.env.SSH_AUTH_SOCK, sock);
      assert.ok(withAgent.binds.some((b) => b.source === sock && b.target === sock));
      assert.equal(withAgent.sshCopy, undefined);
    } finally {
      listener.close();
    }
    const disabled = loadConfig({ env: { CLEARML_AGENT_DISABLE_SSH_MOUNT: "1" }, home, hostname: "h" });
    const noSsh = await taskMounts({ ...base, config: disabled.typed, hostEnv: { HOME: home } });
    assert.ok(!noSsh.binds.some((b) => b.target === "/.ssh"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("taskMounts() with a host-mount translation rewrites paths, drops caches outside it, and stageSelf() copies the agent under it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const pod = join(root, "pod");
    await Deno.mkdir(pod);
    const t = { node: "/node/share", pod };
    const loaded = loadConfig({ env: {}, home: root, hostname: "h" });
    const lines: string[] = [];
    const bin = join(root, "clearml-agent");
    await Deno.writeTextFile(bin, "#!/bin/sh\n");
    const self = await stageSelf({
      argv: ["x"],
      mounts: [{ source: bin, target: "/opt/clearml/mnt/clearml-agent" }],
      env: {},
      compiled: true,
    }, t);
    assert.ok(self.mounts[0].source.startsWith(join(pod, ".clearml_agent_self")));
    assert.equal(await Deno.readTextFile(self.mounts[0].source), "#!/bin/sh\n");
    const plan = await taskMounts({
      config: loaded.typed,
      expand: (p) => p.startsWith("~/") ? join(root, p.slice(2)) : p,
      hostEnv: { HOME: join(root, "nohome") },
      self,
      files: runFiles(join(pod, ".clearml_agent_runs", "r1")),
      toolsDir: join(pod, "tools"),
      translation: t,
      say: (l) => lines.push(l),
    });
    assert.ok(plan.binds.every((b) => b.source.startsWith("/node/share/")), JSON.stringify(plan.binds));
    assert.ok(
      plan.binds.some((b) =>
        b.target === "/tmp/clearml.conf" && b.source === "/node/share/.clearml_agent_runs/r1/clearml.conf"
      ),
    );
    assert.ok(lines.some((l) => /^Warning: K8S mount missing, ignoring cached folder /.test(l)));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
