/**
 * `clearml-agent server`: run the embedded ClearML-API server in the foreground (default), in the background
 * (`--detached`: re-run this program detached with the same options, log to `<data-dir>/server.log`, return once
 * `debug.ping` answers), or stop the one running on a data folder (`--stop`). Credentials for the first start come
 * from `CLEARML_API_ACCESS_KEY` / `CLEARML_API_SECRET_KEY` or are generated; the `api { ... }` snippet is printed
 * and written to `<data-dir>/clearml.conf.snippet`.
 *
 * @module
 */

import { selfCommand } from "../process/self_command.ts";
import { join, resolve } from "node:path";
import type { GlobalOptions, ServerOptions } from "./args_types.ts";
import { log } from "../logger.ts";
import { startServer } from "../server/server.ts";
import {
  lockDataDir,
  LOG_FILE,
  recordedPid,
  removePidFile,
  runningServerPid,
  waitForExit,
  writePidFile,
} from "../server/pidfile.ts";
import { envRaw, envText } from "../clearml_env.ts";

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
const LISTENING = "ClearML API server listening on ";

function defaultDataDir(): string {
  return join(Deno.env.get("HOME") ?? ".", ".clearml", "server");
}

/** Run `server`; resolves to the exit code. */
export async function runServerCommand(global: GlobalOptions, options: ServerOptions): Promise<number> {
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  if (options.stop) return await stopServer(dataDir);
  if (!options.detached) return await runForeground(options, dataDir);
  const running = await runningServerPid(dataDir);
  if (running !== undefined) throw alreadyRunning(dataDir, running);
  return await startDetached(global, options, dataDir);
}

function alreadyRunning(dataDir: string, pid: number | undefined): Error {
  return new Error(`A server is already running on data dir "${dataDir}" (pid ${pid ?? "unknown"})`);
}

/** The foreground server: holds the data folder's lock while it serves (it has no `run` permission for `ps`). */
async function runForeground(options: ServerOptions, dataDir: string): Promise<number> {
  const lock = await lockDataDir(dataDir);
  if (!lock) throw alreadyRunning(dataDir, recordedPid(dataDir));
  try {
    return await serve(options, dataDir);
  } finally {
    lock.close();
  }
}

async function serve(options: ServerOptions, dataDir: string): Promise<number> {
  const handle = await startServer({
    dataDir,
    host: options.host,
    port: options.port,
    accessKey: envText("CLEARML_API_ACCESS_KEY"),
    secretKey: envText("CLEARML_API_SECRET_KEY"),
    insecureOpen: options.insecureOpen,
    longPoll: options.longPoll,
    wireTrace: envRaw("CLEARML_AGENT_DEBUG_WIRE") === "1",
    allowOrigins: [...options.allowOrigins, ...envList("CLEARML_SERVER_ALLOW_ORIGINS")],
    allowHosts: [...options.allowHosts, ...envList("CLEARML_SERVER_ALLOW_HOSTS")],
    log,
  });
  writePidFile(dataDir);
  if (handle.firstStart) {
    console.log(`New admin credentials; add this section to ~/clearml.conf (also saved in ${handle.snippetPath}):`);
    console.log(await Deno.readTextFile(handle.snippetPath));
  }
  if (options.insecureOpen) {
    log.warn("--insecure-open: requests without valid credentials act as the admin (web pages are still refused)");
  }
  if (!options.longPoll) log.info("--no-long-poll: queues.get_next_task ignores wait_ms, as a real ClearML server");
  console.log(`${LISTENING}${handle.url} (files server: ${handle.filesUrl})`);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    await Promise.race([
      handle.finished,
      new Promise((r) => stop.signal.addEventListener("abort", r, { once: true })),
    ]);
    log.info("Shutting down the ClearML API server");
    await handle.close();
  } finally {
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
    removePidFile(dataDir);
  }
  return 0;
}

/** A comma- or space-separated list from an environment variable. */
function envList(name: string): string[] {
  return (Deno.env.get(name) ?? "").split(/[\s,]+/).filter((v) => v !== "");
}

/** The command that runs this program again (compiled binary or the source launcher). */
function selfArgv(args: string[]): string[] {
  return [...selfCommand(), ...args];
}

async function readNewLog(path: string, offset: number): Promise<string> {
  try {
    const bytes = await Deno.readFile(path);
    return new TextDecoder().decode(bytes.subarray(offset));
  } catch {
    return "";
  }
}

async function startDetached(global: GlobalOptions, options: ServerOptions, dataDir: string): Promise<number> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const logPath = join(dataDir, LOG_FILE);
  const snippetPath = join(dataDir, "clearml.conf.snippet");
  const hadSnippet = await Deno.stat(snippetPath).then(() => true, () => false);
  const offset = await Deno.stat(logPath).then((s) => s.size, () => 0);
  const args = [
    ...(global.debug ? ["--debug"] : []),
    ...(envRaw("CLEARML_AGENT_DEBUG_WIRE") === "1" ? ["--debug-wire"] : []),
    "server",
    "--host",
    options.host,
    "--port",
    String(options.port),
    "--data-dir",
    dataDir,
    ...(options.insecureOpen ? ["--insecure-open"] : []),
    ...options.allowOrigins.flatMap((o) => ["--allow-origin", o]),
    ...options.allowHosts.flatMap((h) => ["--allow-host", h]),
    ...(options.longPoll ? [] : ["--no-long-poll"]),
  ];
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$@" >>"$CLEARML_SERVER_LOG" 2>&1 </dev/null', "sh", ...selfArgv(args)],
    env: { CLEARML_SERVER_LOG: logPath },
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let url: string | undefined;
  // Poll policy: every 100 ms for up to 20 s, until the log shows the listening line and debug.ping answers.
  while (Date.now() < deadline && exited === undefined) {
    const text = await readNewLog(logPath, offset);
    url ??= text.split("\n").find((l) => l.startsWith(LISTENING))?.slice(LISTENING.length).trim().split(" ")[0];
    if (url) {
      const ok = await fetch(`${url}/debug.ping`).then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }, () => false);
      if (ok) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited !== undefined || !url) {
    if (exited === undefined) child.kill("SIGTERM");
    const tail = (await readNewLog(logPath, offset)).trim().split("\n").slice(-5).join("\n");
    throw new Error(`The server did not start (see "${logPath}")${tail ? `:\n${tail}` : ""}`);
  }
  child.unref();
  if (!hadSnippet) {
    console.log(`New admin credentials; add this section to ~/clearml.conf (also saved in ${snippetPath}):`);
    console.log(await Deno.readTextFile(snippetPath));
  }
  console.log(`ClearML API server running in the background (pid ${child.pid}) on ${url}`);
  console.log(`Log: ${logPath}`);
  console.log(`Stop it with: clearml-agent server --stop --data-dir ${dataDir}`);
  return 0;
}

async function stopServer(dataDir: string): Promise<number> {
  const pid = await runningServerPid(dataDir);
  if (pid === undefined) throw new Error(`No server is running on data dir "${dataDir}"`);
  Deno.kill(pid, "SIGTERM");
  if (!await waitForExit(pid, STOP_TIMEOUT_MS)) {
    throw new Error(`The server (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
  }
  console.log(`Stopped the ClearML API server (pid ${pid})`);
  return 0;
}
