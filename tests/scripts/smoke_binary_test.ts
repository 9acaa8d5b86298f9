/**
 * scripts/smoke_binary.sh, the release workflow's smoke test of a compiled binary, run here against the source
 * launcher (`deno run -P=agent ... main.ts`, the binary's permissions), so that every push exercises the same steps:
 * `--version`, `server --detached`, `daemon --detached`, `task create`, `task logs --follow`, `daemon --stop`,
 * `server --stop`, all in a private HOME/TMPDIR. And its refusals: no command, a command that is not the agent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { sourceLauncher } from "../../lib/process/self_command.ts";
import { ROOT } from "../helpers/cli.ts";

const SCRIPT = join(ROOT, "scripts", "smoke_binary.sh");

async function smoke(args: string[]) {
  const out = await new Deno.Command("bash", {
    args: [SCRIPT, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("smoke_binary.sh passes against the source launcher and removes its folder", async () => {
  const before = [...Deno.readDirSync(Deno.env.get("TMPDIR") ?? "/tmp")].filter((e) =>
    e.name.startsWith("clearml-agent-smoke.")
  );
  const r = await smoke(sourceLauncher(Deno.execPath(), ROOT));
  assert.equal(r.code, 0, r.output);
  for (
    const step of [
      "== --version",
      "== server --detached",
      "== daemon --detached",
      "== task create",
      "== task logs --follow",
      "the task's line is in its log",
      "== daemon --stop",
      "== server --stop",
      "Stopped the ClearML API server",
    ]
  ) {
    assert.ok(r.output.includes(step), `missing "${step}" in:\n${r.output}`);
  }
  assert.match(r.output, /smoke: ok\n$/);
  const after = [...Deno.readDirSync(Deno.env.get("TMPDIR") ?? "/tmp")].filter((e) =>
    e.name.startsWith("clearml-agent-smoke.")
  );
  assert.equal(after.length, before.length, "the smoke folder was removed");
});

Deno.test("smoke_binary.sh fails with one line for a command that is not the agent, and without a command", async () => {
  const wrong = await smoke(["/bin/echo", "hello"]);
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.output,
    /^== --version\nsmoke: FAILED: --version printed "hello --version", not a version line\n$/,
  );
  const none = await smoke([]);
  assert.equal(none.code, 2);
  assert.equal(none.output, "usage: scripts/smoke_binary.sh BINARY [ARGS...]\n");
});
