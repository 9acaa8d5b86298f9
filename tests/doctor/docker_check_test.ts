import assert from "node:assert/strict";
import { join } from "node:path";
import { dockerCheck, nvidiaRuntimeCheck } from "../../lib/doctor/docker_check.ts";
import { fakeBin } from "./fake_bin.ts";

/** A Docker Engine API stand-in on a unix socket: `/_ping`, `/version` and `/info` with the given runtimes. */
async function fakeEngine(runtimes: string[], ping = "OK") {
  const dir = await Deno.makeTempDir({ prefix: "engine-" });
  const socket = join(dir, "docker.sock");
  const server = Deno.serve({ path: socket, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/_ping") return new Response(ping, { status: ping === "OK" ? 200 : 404 });
    if (path === "/version") return Response.json({ Version: "28.2.2" });
    if (path === "/info") return Response.json({ Runtimes: Object.fromEntries(runtimes.map((r) => [r, {}])) });
    return new Response("page not found", { status: 404 });
  });
  return {
    host: `unix://${socket}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("dockerCheck() passes when the engine answers /_ping", async () => {
  await using engine = await fakeEngine(["runc"]);
  const r = await dockerCheck({ host: engine.host, required: true });
  assert.deepEqual(r, {
    name: "docker",
    ok: true,
    required: true,
    detail: `engine at ${engine.host} answers, Docker 28.2.2`,
  });
});

Deno.test("dockerCheck() fails for a missing socket, something else on it, and an unsupported DOCKER_HOST", async () => {
  await using notDocker = await fakeEngine([], "nope");
  const missing = await dockerCheck({ host: "unix:///nonexistent/docker.sock", required: false });
  assert.equal(missing.ok, false);
  assert.match(
    missing.detail,
    /^Cannot reach the engine at unix:\/\/\/nonexistent\/docker\.sock: .*\(only needed for --docker\)$/,
  );
  const other = await dockerCheck({ host: notDocker.host, required: true });
  assert.equal(other.detail, `${notDocker.host} answered 404 to /_ping: not a Docker engine`);
  const ssh = await dockerCheck({ host: "ssh://box", required: true });
  assert.match(ssh.detail, /Unsupported DOCKER_HOST "ssh:\/\/box"/);
});

Deno.test("dockerCheck() reaches this machine's Docker engine under CI", {
  ignore: !Deno.env.get("CI") && !(() => {
    try {
      return Deno.statSync("/var/run/docker.sock").isSocket;
    } catch {
      return false;
    }
  })(),
}, async () => {
  const r = await dockerCheck({ host: "unix:///var/run/docker.sock", required: true });
  assert.ok(r.ok, r.detail);
});

Deno.test("nvidiaRuntimeCheck() passes with an nvidia runtime in the engine or the toolkit on PATH", async () => {
  await using engine = await fakeEngine(["runc", "nvidia"]);
  await using bin = await fakeBin({ "nvidia-container-runtime-hook": "exit 0" });
  const runtime = await nvidiaRuntimeCheck({ host: engine.host, path: "/nonexistent", required: true });
  assert.deepEqual(runtime, {
    name: "nvidia runtime",
    ok: true,
    required: true,
    detail: 'the engine has the "nvidia" runtime (runc, nvidia)',
  });
  const toolkit = await nvidiaRuntimeCheck({ host: "unix:///nonexistent.sock", path: bin.dir, required: true });
  assert.equal(toolkit.detail, `NVIDIA container toolkit: ${join(bin.dir, "nvidia-container-runtime-hook")}`);
});

Deno.test("nvidiaRuntimeCheck() fails with only runc and no toolkit", async () => {
  await using engine = await fakeEngine(["runc", "io.containerd.runc.v2"]);
  const r = await nvidiaRuntimeCheck({ host: engine.host, path: "/nonexistent", required: false });
  assert.equal(r.ok, false);
  assert.equal(r.required, false);
  assert.match(r.detail, /^no NVIDIA container toolkit .*containers get no GPU$/);
});
