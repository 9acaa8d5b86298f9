import assert from "node:assert/strict";
import { runCli } from "../helpers/cli.ts";
import { VERSION } from "../../lib/version.ts";

Deno.test("clearml-agent --version prints the version and exits 0", async () => {
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `CLEARML-AGENT version ${VERSION}`);
});

Deno.test("clearml-agent with no arguments prints the help and exits 0", async () => {
  const r = await runCli([]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^CLEARML-AGENT Deep Learning DevOps\n/);
  assert.match(r.stdout, /daemon/);
});

Deno.test("clearml-agent --help prints the help of every subcommand", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  for (const flag of ["--queue", "--services-mode", "--full-monitoring", "--entry-point", "--show-secrets"]) {
    assert.ok(r.stdout.includes(flag), `help lacks ${flag}`);
  }
});

Deno.test("clearml-agent rejects an unknown flag with one line and exit code 2", async () => {
  const r = await runCli(["daemon", "--bogus"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /--bogus/);
});

Deno.test("clearml-agent rejects an unknown subcommand with exit code 2", async () => {
  const r = await runCli(["fly"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /fly/);
});

Deno.test("the agent task of deno.json is the source launcher every agent process uses", async () => {
  const { LAUNCHER_FLAGS } = await import("../../lib/process/self_command.ts");
  const { ROOT } = await import("../helpers/cli.ts");
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
  assert.equal(tasks.agent, `./node_modules/.bin/deno run ${LAUNCHER_FLAGS.join(" ")} main.ts`);
});
