/**
 * The README's "A local box from scratch" block, run line by line as written, from a folder outside the repository,
 * with `clearml-agent` being the source launcher `scripts/clearml-agent` on PATH: the server starts on its default
 * port, `init` gets the printed credentials section pasted (then Enter to every question), the daemon runs the task
 * made from `hello.py` of that folder, `task logs --follow` shows its output, and the two `--stop` lines stop
 * everything, leaving nothing in the temp folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";

/** The shell lines of the README block after `marker`. */
function readmeBlock(marker: string): string[] {
  const readme = Deno.readTextFileSync(join(ROOT, "README.md"));
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `README has no "${marker}"`);
  const start = readme.indexOf("```sh\n", at) + "```sh\n".length;
  return readme.slice(start, readme.indexOf("```", start)).trimEnd().split("\n");
}

/** The interpreter behind `python3` (a pyenv shim depends on HOME, which this test replaces). */
async function realPython(): Promise<string> {
  const out = await new Deno.Command("python3", { args: ["-c", "import sys; print(sys.executable)"] }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("the README's local box block works as typed from a folder outside the repository", async () => {
  assert.ok(portFree(8008), "port 8008 (the server's default, as the README uses it) is taken on this machine");
  const lines = readmeBlock("A local box from scratch");
  assert.equal(lines.length, 8, lines.join("\n"));
  const root = await Deno.makeTempDir({ prefix: "clearml_readme_box_" });
  const [home, work, bin, tmp] = ["home", "work", "bin", "tmp"].map((d) => join(root, d));
  for (const d of [home, work, bin, tmp]) await Deno.mkdir(d);
  await Deno.symlink(join(ROOT, "scripts", "clearml-agent"), join(bin, "clearml-agent"));
  await Deno.symlink(await realPython(), join(bin, "python3"));
  const env: Record<string, string> = {
    HOME: home,
    TMPDIR: tmp,
    PATH: `${bin}:${Deno.env.get("PATH")}`,
    DENO_DIR: Deno.env.get("DENO_DIR") ??
      join(Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? "/root", ".cache"), "deno"),
    CLEARML_AGENT_TOOLS_DIR: join(Deno.env.get("HOME") ?? "/root", ".clearml", "tools"),
  };
  const run = async (line: string, stdin = "") => {
    const child = new Deno.Command("bash", {
      args: ["-c", line],
      cwd: work,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `$ ${line}\n${text}`);
    return text;
  };
  let serverUp = false;
  try {
    let paste = "";
    let taskId = "";
    const outputs: string[] = [];
    for (const line of lines) {
      let text: string;
      if (line.startsWith("clearml-agent init")) {
        // Paste the section, then Enter: API, web and files addresses, output URI, git user, package index.
        text = await run(line, `${paste}\n${"\n".repeat(6)}`);
      } else {
        text = await run(line.replace("<task id>", taskId));
      }
      outputs.push(text);
      if (line.startsWith("clearml-agent server --detached")) {
        serverUp = true;
        const m = /^api \{\n[\s\S]*?^\}$/m.exec(text);
        assert.ok(m, text);
        paste = m[0];
      }
      if (line.startsWith("clearml-agent task create")) taskId = /\b([0-9a-f]{32})\b/.exec(text)?.[1] ?? "";
      if (line.startsWith("clearml-agent server --stop")) serverUp = false;
    }
    const [, init, daemon, , create, logs, stopDaemon] = outputs;
    assert.match(init, /CLEARML-AGENT setup completed successfully/);
    assert.match(await Deno.readTextFile(join(home, "clearml.conf")), /web_server: "?http:\/\/127\.0\.0\.1:8008"?/);
    assert.match(daemon, /daemon started: worker "[^"]+:0"/);
    assert.ok(taskId, create);
    assert.match(logs, /^hello from the local box$/m);
    assert.match(stopDaemon, /Terminating clearml-agent worker_id=\S+:0/);
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], "a clean stop leaves nothing in TMPDIR");
  } finally {
    if (serverUp) await run("clearml-agent daemon --stop; clearml-agent server --stop").catch(() => {});
    await Deno.remove(root, { recursive: true });
  }
});
