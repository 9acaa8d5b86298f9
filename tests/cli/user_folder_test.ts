import assert from "node:assert/strict";
import { enterUserFolder } from "../../lib/cli/user_folder.ts";
import { UsageError } from "../../lib/cli/errors.ts";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";

function fakeEnv(vars: Record<string, string>) {
  return { get: (n: string) => vars[n], delete: (n: string) => void delete vars[n], vars };
}

Deno.test("enterUserFolder() moves a source run started by a task (cwd = repository) to INIT_CWD and forgets it", () => {
  const env = fakeEnv({ INIT_CWD: "/home/u/work" });
  const moved: string[] = [];
  const at = enterUserFolder({ env, cwd: "/repo", root: "/repo", compiled: false, chdir: (d) => moved.push(d) });
  assert.equal(at, "/home/u/work");
  assert.deepEqual(moved, ["/home/u/work"]);
  assert.equal(env.vars.INIT_CWD, undefined, "children are not moved again");
});

Deno.test("enterUserFolder() leaves a process started elsewhere, a compiled binary, or no INIT_CWD alone", () => {
  const moved: string[] = [];
  const chdir = (d: string) => void moved.push(d);
  assert.equal(enterUserFolder({ env: fakeEnv({ INIT_CWD: "/u" }), cwd: "/tmp/x", root: "/repo", chdir }), undefined);
  assert.equal(
    enterUserFolder({ env: fakeEnv({ INIT_CWD: "/u" }), cwd: "/repo", root: "/repo", compiled: true, chdir }),
    undefined,
  );
  assert.equal(enterUserFolder({ env: fakeEnv({}), cwd: "/repo", root: "/repo", compiled: false, chdir }), undefined);
  assert.deepEqual(moved, []);
});

Deno.test("enterUserFolder() names the folder it cannot enter", () => {
  const env = fakeEnv({ INIT_CWD: "/nonexistent/folder" });
  assert.throws(
    () => enterUserFolder({ env, cwd: "/repo", root: "/repo", compiled: false }),
    (err) => err instanceof UsageError && /"\/nonexistent\/folder" \(INIT_CWD\): /.test(err.message),
  );
});

Deno.test("through the launcher, a relative path is the caller's and a missing one is named with its absolute path", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "clearml_user_folder_" }));
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command(join(ROOT, "scripts", "clearml-agent"), {
        args,
        cwd: dir,
        env: { HOME: dir, CLEARML_CONFIG_FILE: "" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, err: new TextDecoder().decode(out.stderr) };
    };
    const script = await run(["task", "create", "--project", "proj", "--name", "name1", "--script", "missing.py"]);
    assert.equal(script.code, 1);
    assert.match(script.err, new RegExp(`Script file "missing\\.py" not found: looked for "${dir}/missing\\.py"`));
    const conf = await run(["config", "--config-file", "nope.conf"]);
    assert.match(conf.err, new RegExp(`Could not open configuration file "${dir}/nope\\.conf": `));
    assert.doesNotMatch(conf.err + script.err, /Task agent/, "the launcher does not echo the task");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
