import assert from "node:assert/strict";
import { buildRunCommand, scriptDir } from "../../lib/setup/run_command.ts";
import { parseExecutionInfo } from "../../lib/setup/task_info.ts";
import { SetupError } from "../../executors/executor.ts";

function info(script: Record<string, unknown>) {
  return parseExecutionInfo({ id: "t", script });
}

Deno.test("buildRunCommand() builds python, module and shell commands", () => {
  const base = { codeRoot: "/r", python: "/v/bin/python", optimization: 0, args: [], exists: () => true };
  assert.deepEqual(buildRunCommand({ ...base, info: info({ entry_point: "a.py", working_dir: "src" }) }), {
    argv: ["/v/bin/python", "-u", "a.py"],
    cwd: "/r/src",
  });
  assert.deepEqual(
    buildRunCommand({
      ...base,
      optimization: 2,
      args: ["--x=1"],
      info: info({ entry_point: "-m pkg.main $HOME" }),
      env: { HOME: "/h" },
    }).argv,
    ["/v/bin/python", "-u", "-OO", "-m", "pkg.main", "/h", "--x=1"],
  );
  assert.deepEqual(
    buildRunCommand({ ...base, shell: "/bin/sh", info: info({ binary: "bash", entry_point: "run.sh" }) }).argv,
    [
      "/bin/sh",
      "/r/run.sh",
    ],
  );
});

Deno.test("buildRunCommand() fails for a missing entry point and scriptDir() for ../..", () => {
  assert.throws(
    () =>
      buildRunCommand({
        codeRoot: "/r",
        python: "p",
        optimization: 0,
        args: [],
        exists: () => false,
        info: info({ entry_point: "nope.py" }),
      }),
    (e: unknown) => e instanceof SetupError && /Entry point "nope.py" not found/.test(e.message),
  );
  assert.throws(() => scriptDir("/r", "../.."), /Working directory "\.\.\/\.\." escapes the repository/);
  assert.equal(scriptDir("/r", "a/../b"), "/r/b");
});
