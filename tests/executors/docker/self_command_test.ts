/** This agent inside a container: mounts and command line, and the copy into an image. */
import assert from "node:assert/strict";
import {
  containerSelf,
  denoCacheDir,
  glibcLoader,
  imageInstall,
  muslLoader,
} from "../../../executors/docker/self_command.ts";

Deno.test("containerSelf() mounts the compiled binary alone, or deno + sources + cache read-only", () => {
  const compiled = containerSelf({ compiled: true, execPath: "/bin/sh" });
  assert.deepEqual(compiled.argv, ["/opt/clearml/mnt/clearml-agent"]);
  assert.deepEqual(compiled.mounts, [{
    source: Deno.realPathSync("/bin/sh"),
    target: "/opt/clearml/mnt/clearml-agent",
  }]);
  const source = containerSelf({ compiled: false, execPath: "/bin/sh", root: "/repo", denoDir: "/" });
  assert.deepEqual(source.argv, [
    "/opt/clearml/mnt/deno",
    "run",
    "-P=agent",
    "--quiet",
    "--v8-flags=--max-semi-space-size=1,--expose-gc",
    "--config",
    "/opt/clearml/mnt/src/deno.json",
    "/opt/clearml/mnt/src/main.ts",
  ]);
  assert.deepEqual(source.mounts.map((m) => m.target), [
    "/opt/clearml/mnt/deno",
    "/opt/clearml/mnt/src",
    "/opt/clearml/mnt/deno-cache",
  ]);
  assert.equal(source.env.DENO_DIR, "/opt/clearml/mnt/deno-cache");
  const noCache = containerSelf({ compiled: false, execPath: "/bin/sh", root: "/repo", denoDir: "/nonexistent-cache" });
  assert.equal(noCache.env.DENO_DIR, undefined);
  assert.equal(noCache.mounts.length, 2);
});

Deno.test("imageInstall() copies the agent out of the mounts and runs the copy", () => {
  const compiled = imageInstall(containerSelf({ compiled: true, execPath: "/bin/sh" }));
  assert.deepEqual(compiled.argv, ["/opt/clearml/clearml-agent"]);
  assert.match(compiled.script, /cp \/opt\/clearml\/mnt\/clearml-agent \/opt\/clearml\/clearml-agent/);
  const source = imageInstall(containerSelf({ compiled: false, execPath: "/bin/sh", root: "/repo", denoDir: "/" }));
  assert.equal(source.argv[0], "/opt/clearml/deno");
  assert.match(source.script, /--exclude=\.\/node_modules\/deno/);
  assert.equal(source.env.DENO_DIR, "/opt/clearml/deno-cache");
});

Deno.test("denoCacheDir() and the loaders follow Deno's and glibc's conventions", () => {
  assert.equal(denoCacheDir({ DENO_DIR: "/d" }), "/d");
  assert.equal(denoCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" }), "/x/deno");
  assert.equal(denoCacheDir({ HOME: "/h" }), "/h/.cache/deno");
  assert.equal(glibcLoader("x86_64"), "/lib64/ld-linux-x86-64.so.2");
  assert.equal(glibcLoader("aarch64"), "/lib/ld-linux-aarch64.so.1");
  assert.equal(muslLoader("x86_64"), "/lib/ld-musl-x86_64.so.1");
});
