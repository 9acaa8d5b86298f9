/**
 * The README's "run it" command (`npx deno task demo`): the main job on the embedded defaults, with the commands a
 * user would type, each printed before it runs:
 *
 * 1. `clearml-agent server --detached` on a free port in a temporary folder (the embedded ClearML API server);
 * 2. a `clearml.conf` for it (the server's credentials snippet, caches in the temporary folder);
 * 3. `clearml-agent task create --script hello.py --queue default` (a single-script task with arguments);
 * 4. `clearml-agent daemon --queue default --detached` (the worker pulls and runs it in a venv);
 * 5. `clearml-agent task logs <id> --follow` (the task's output as the server stored it, until it ends);
 * 6. `clearml-agent daemon --stop` and `clearml-agent server --stop`; the temporary folder is removed.
 *
 * Exits 0 when the task completed. `--keep` keeps the folder (and prints its path).
 *
 * @module
 */

import { join } from "node:path";
import { agentCommand } from "../tests/helpers/cli.ts";
import { shlexJoin } from "../lib/config/shlex.ts";

const keep = Deno.args.includes("--keep");
const dir = await Deno.makeTempDir({ prefix: "clearml-agent-demo-" });
const conf = join(dir, "clearml.conf");
const enc = new TextEncoder();

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function randomKey(length: number, alphabet: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

/** Run `clearml-agent <args>` (printed first); output goes to the terminal unless captured. */
async function agent(args: string[], options: { capture?: boolean; env?: Record<string, string> } = {}) {
  console.log(`\n$ clearml-agent ${shlexJoin(args)}`); // quoted: each line can be pasted back
  const out = await new Deno.Command(Deno.execPath(), {
    args: agentCommand(args),
    env: { CLEARML_CONFIG_FILE: conf, ...options.env },
    stdout: options.capture ? "piped" : "inherit",
    stderr: "inherit",
  }).output();
  const text = options.capture ? new TextDecoder().decode(out.stdout) : "";
  if (options.capture) await Deno.stdout.write(enc.encode(text));
  if (!out.success) throw new Error(`clearml-agent ${args[0]} exited with code ${out.code}`);
  return text;
}

const port = freePort();
const serverDir = join(dir, "server");
const accessKey = randomKey(30, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
const secretKey = randomKey(48, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
let serverUp = false;
let daemonUp = false;
let code = 1;
try {
  // The config file must exist before any command reads it; the server writes its snippet on first start.
  await Deno.writeTextFile(conf, "");
  await agent(["server", "--detached", "--port", String(port), "--data-dir", serverDir], {
    env: { CLEARML_API_ACCESS_KEY: accessKey, CLEARML_API_SECRET_KEY: secretKey },
  });
  serverUp = true;
  const snippet = await Deno.readTextFile(join(serverDir, "clearml.conf.snippet"));
  await Deno.writeTextFile(
    conf,
    `${snippet}\nagent {\n  venvs_dir: "${dir}/venvs-builds"\n  venvs_cache.path: "${dir}/venvs-cache"\n` +
      `  vcs_cache.path: "${dir}/vcs-cache"\n  state_dir: "${dir}/agent"\n}\n`,
    { mode: 0o600 },
  );
  console.log(`\n(wrote ${conf}: the server's api section, caches under ${dir})`);

  const script = join(dir, "hello.py");
  await Deno.writeTextFile(
    script,
    [
      "import argparse, platform, sys",
      "parser = argparse.ArgumentParser()",
      "parser.add_argument('--greeting', default='hello')",
      "parser.add_argument('--repeat', type=int, default=1)",
      "args = parser.parse_args()",
      "for i in range(args.repeat):",
      "    print(f'{args.greeting} from clearml-agent ({i + 1}/{args.repeat})')",
      "print(f'python {platform.python_version()} at {sys.executable}')",
      "",
    ].join("\n"),
  );
  const created = await agent([
    "task",
    "create",
    "--project",
    "demo",
    "--name",
    "hello from the demo",
    "--script",
    script,
    "--args",
    "greeting=hello",
    "repeat=3",
    "--queue",
    "default",
    "--json",
  ], { capture: true });
  const taskId = JSON.parse(created).id as string;

  await agent(["daemon", "--queue", "default", "--detached"]);
  daemonUp = true;
  await agent(["task", "logs", taskId, "--follow"]);
  await agent(["task", "show", taskId]);
  code = 0;
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
} finally {
  if (daemonUp) await agent(["daemon", "--stop"]).catch((e) => console.error((e as Error).message));
  if (serverUp) {
    await agent(["server", "--stop", "--data-dir", serverDir]).catch((e) => console.error((e as Error).message));
  }
  if (keep) console.log(`\nkept ${dir}`);
  else await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(code);
