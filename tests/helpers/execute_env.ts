/**
 * An environment for end-to-end `execute` tests: the embedded server started through the CLI contract
 * (`clearml-agent server --port P --data-dir D`, ready when `/debug.ping` answers), a config file pointing the
 * agent at it with its caches in a temp folder, an API client to create tasks and read logs, and a tiny wheel
 * served from a local PEP 503 index.
 *
 * @module
 */

import { join } from "node:path";
import { ApiClient } from "../../lib/api/client.ts";
import { agentCommand, type CliResult, runCli } from "./cli.ts";

const KEY = "EXECTESTKEY0001";
const SECRET = "exec-test-secret-0001-abcdef";

/** A running test environment. */
export interface ExecuteEnv {
  dir: string;
  client: ApiClient;
  configFile: string;
  /** Run `clearml-agent execute <args>` with the test config. */
  execute(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  /** Create a task; resolves to its id. */
  createTask(script: Record<string, unknown>, extra?: Record<string, unknown>): Promise<string>;
  /** The task's log messages, oldest first, split into lines. */
  logLines(task: string): Promise<string[]>;
  task(id: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitReady(url: string, child: Deno.ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/debug.ping`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`Server at "${url}" did not answer /debug.ping within 10 s`);
}

/** Start the server and write the agent config (`agent` section overrides and top-level sections merged in). */
export async function startExecuteEnv(
  agent: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Promise<ExecuteEnv> {
  const dir = await Deno.makeTempDir({ prefix: "clearml_exec_e2e_" });
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = new Deno.Command(Deno.execPath(), {
    args: agentCommand(["server", "--port", String(port), "--data-dir", join(dir, "server")]),
    env: { CLEARML_API_ACCESS_KEY: KEY, CLEARML_API_SECRET_KEY: SECRET },
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitReady(url, server);
  const config = {
    api: { api_server: url, credentials: { access_key: KEY, secret_key: SECRET } },
    agent: {
      worker_id: "e2e-worker",
      vcs_cache: { path: join(dir, "vcs") },
      venvs_dir: join(dir, "venvs"),
      venvs_cache: { path: join(dir, "venvs-cache") },
      package_manager: { type: "uv" },
      ...agent,
    },
    ...top,
  };
  const configFile = join(dir, "clearml.conf");
  await Deno.writeTextFile(configFile, JSON.stringify(config, null, 2));
  // The embedded server reads no body on GET (Deno.serve drops it); until it does, the agent uses POST here.
  const baseEnv = {
    CLEARML_CONFIG_FILE: configFile,
    CLEARML_API_DEFAULT_REQ_METHOD: "POST",
    CLEARML_AGENT_TOOLS_DIR: Deno.env.get("CLEARML_AGENT_TOOLS_DIR") ??
      join(Deno.env.get("HOME") ?? "/root", ".clearml", "tools"),
  };
  const client = new ApiClient({ host: url, accessKey: KEY, secretKey: SECRET, defaultMethod: "post" });
  return {
    dir,
    client,
    configFile,
    execute: (args, extraEnv = {}) => runCli(["execute", ...args], { env: { ...baseEnv, ...extraEnv } }),
    async createTask(script, extra = {}) {
      const data = await client.call<{ id: string }>("tasks.create", {
        name: "e2e task",
        type: "training",
        script,
        ...extra,
      });
      return data.id;
    },
    async logLines(task) {
      const data = await client.call<{ events: { msg: string }[] }>("events.get_task_log", {
        task,
        navigate_earlier: false,
        batch_size: 100000,
      });
      return data.events.flatMap((e) => e.msg.split("\n"));
    },
    async task(id) {
      const data = await client.call<{ task: Record<string, unknown> }>("tasks.get_by_id", { task: id });
      return data.task;
    },
    async close() {
      try {
        server.kill("SIGTERM");
      } catch {
        // gone
      }
      await server.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Write a tiny pure-Python wheel `tinypkg-0.1` into `dir/files` with a PEP 503 index in `dir/simple`. */
export async function makeTinyIndex(dir: string): Promise<void> {
  const script = `
import base64, hashlib, os, sys, zipfile
root = sys.argv[1]
os.makedirs(os.path.join(root, "files"), exist_ok=True)
os.makedirs(os.path.join(root, "simple", "tinypkg"), exist_ok=True)
name = "tinypkg-0.1-py3-none-any.whl"
files = {
  "tinypkg/__init__.py": "def greet():\\n    return 'tinypkg says hi'\\n",
  "tinypkg-0.1.dist-info/METADATA": "Metadata-Version: 2.1\\nName: tinypkg\\nVersion: 0.1\\n",
  "tinypkg-0.1.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(os.path.join(root, "files", name), "w") as z:
  for path, text in files.items():
    data = text.encode()
    z.writestr(path, data)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(data)}")
  record.append("tinypkg-0.1.dist-info/RECORD,,")
  z.writestr("tinypkg-0.1.dist-info/RECORD", "\\n".join(record) + "\\n")
with open(os.path.join(root, "simple", "tinypkg", "index.html"), "w") as f:
  f.write(f'<html><body><a href="../../files/{name}">{name}</a></body></html>')
`;
  const out = await new Deno.Command("python3", { args: ["-c", script, dir], stderr: "piped" }).output();
  if (!out.success) throw new Error(`Cannot build the test wheel: ${new TextDecoder().decode(out.stderr)}`);
}

/** Serve a folder over HTTP (for the wheel index); `/simple/x/` serves `simple/x/index.html`. */
export function serveFolder(dir: string): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    let path = decodeURIComponent(new URL(req.url).pathname);
    if (path.endsWith("/")) path += "index.html";
    try {
      const data = await Deno.readFile(join(dir, path));
      const type = path.endsWith(".html") ? "text/html" : "application/octet-stream";
      return new Response(data, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
