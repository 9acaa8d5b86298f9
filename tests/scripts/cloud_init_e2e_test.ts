/**
 * scripts/cloud-init.yaml end to end: the real bootstrap script installs a release (served on 127.0.0.1, checked
 * by install.sh's checksum) whose binary runs this agent from source, `init`s `~/clearml.conf` against the embedded
 * server, installs the systemd service and starts it through a small systemd stand-in. The service's daemon runs a
 * task made with `task create`; `systemctl stop` drains it through the unit's `ExecStop=`.
 *
 * The machine is simulated in a temporary folder: a private HOME, TMPDIR (pid files) and unit folder, the Deno
 * cache of this machine (`DENO_DIR`) so that the agent starts fast. As the release binary is a script running the
 * source, `install-service` writes the source launcher (`deno run ... main.ts`) into the unit, not the binary.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { agentCommand, ROOT } from "../helpers/cli.ts";
import { startTestServer, TEST_ACCESS_KEY, TEST_SECRET_KEY, type TestServer } from "../helpers/server.ts";
import { releaseFiles, serveRelease } from "./fake_release.ts";

const QUEUE = "cloud-init-e2e";
/** systemd's default PATH for services. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DENO_DIR = Deno.env.get("DENO_DIR") ||
  join(Deno.env.get("XDG_CACHE_HOME") || join(Deno.env.get("HOME") ?? "/root", ".cache"), "deno");

function yamlFile(path: string): string {
  const doc = parse(Deno.readTextFileSync(join(ROOT, "scripts", "cloud-init.yaml"))) as {
    write_files: { path: string; content: string }[];
  };
  const f = doc.write_files.find((w) => w.path === path);
  assert.ok(f, `write_files has no ${path}`);
  return f.content;
}

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The release binary: the launcher contract (`deno run -P=agent ... main.ts`) in a script. */
function launcher(): string {
  return `#!/bin/sh\nexec ${[Deno.execPath(), ...agentCommand([])].map(shQuote).join(" ")} "$@"\n`;
}

/**
 * `systemctl` for one Type=simple service: `enable --now` starts `ExecStart=` in the background with the manager's
 * environment plus the unit's `EnvironmentFile=` (output to a journal file, pid to a file); `stop` runs `ExecStop=`
 * and then, as `KillMode=mixed`, SIGTERMs the main process if it is still there (SIGKILL after 10 s). Commands are
 * split as sh words (the units here have no `$` or `%`). Output is redirected with `exec` in a subshell: dash keeps a
 * copy of the caller's stdout around a redirected function call, which the service would inherit.
 */
function fakeSystemctl(state: string, managerEnv: Record<string, string>): string {
  const envArgs = Object.entries(managerEnv).map(([k, v]) => shQuote(`${k}=${v}`)).join(" ");
  return `#!/bin/sh
set -eu
state=${shQuote(state)}
printf '%s\\n' "systemctl $*" >> "$state/calls"
unit() { sed -n "s/^$2=//p" "$CLEARML_AGENT_UNIT_DIR/$1" | head -n 1; }
run() {
  env -i ${envArgs} sh -c '[ -z "$3" ] || echo $$ > "$3"; set -a; . "$1"; set +a; eval "exec $2"' \\
    sh "$(unit "$1" EnvironmentFile)" "$(unit "$1" "$2")" "\${3:-}"
}
live() { [ -r "/proc/$1/stat" ] && ! cut -d ')' -f 2 "/proc/$1/stat" | grep -q '^ [ZX]'; }
case "$1" in
  daemon-reload) ;;
  enable)
    [ "$2" = --now ] || exit 2
    rm -f "$state/$3.pid"
    (exec >> "$state/$3.journal" 2>&1 < /dev/null; run "$3" ExecStart "$state/$3.pid") &
    i=0
    while [ ! -s "$state/$3.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    ;;
  stop)
    pid=$(cat "$state/$2.pid")
    (exec >> "$state/$2.journal" 2>&1 < /dev/null; run "$2" ExecStop) || echo "ExecStop exited with $?" >> "$state/calls"
    if live "$pid"; then
      echo "main process $pid still running after ExecStop: SIGTERM" >> "$state/calls"
      kill -TERM "$pid"
      i=0
      while live "$pid" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
      if live "$pid"; then kill -KILL "$pid"; fi
    fi
    ;;
  *) echo "systemctl stand-in: unsupported: $*" >&2; exit 1 ;;
esac
`;
}

function procStat(pid: number): { ppid: number; state: string } | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== "Z" && s.state !== "X";
}

/** `pid` and its live descendants. */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const s = procStat(Number(e.name));
    if (s && s.state !== "Z") children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(e.name)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out.filter(alive);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stop a daemon left running by a failed test: SIGTERM (its task is stopped), then SIGKILL for its whole tree. */
async function killDaemon(pid: number): Promise<void> {
  if (!alive(pid)) return;
  Deno.kill(pid, "SIGTERM");
  const end = Date.now() + 15_000;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  for (const p of tree(pid)) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Run `argv` to completion with a clean `env`, its output going to a file (not a pipe, which a process it leaves
 * running could hold open), killed after `timeoutMs`; resolves to the exit code and the output.
 */
async function runLogged(
  argv: string[],
  env: Record<string, string>,
  logFile: string,
  timeoutMs: number,
): Promise<{ code: number; out: string }> {
  const status = await new Deno.Command("sh", {
    args: ["-c", 'log=$1; shift; exec "$@" > "$log" 2>&1 < /dev/null', "sh", logFile, ...argv],
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn().status;
  return { code: status.code, out: await Deno.readTextFile(logFile).catch(() => "") };
}

async function workersOn(srv: TestServer): Promise<string[]> {
  const data = await srv.client.ok("workers.get_all", {});
  return (data.workers as { id: string }[]).map((w) => w.id);
}

Deno.test("cloud-init bootstrap brings up a service whose daemon runs a task from the server; systemctl stop drains it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cloud-init-e2e-" });
  const srv = await startTestServer();
  const release = serveRelease(await releaseFiles({ "clearml-agent-linux-x64": launcher() }));
  const state = join(dir, "systemd");
  let daemonPid: number | undefined;
  const journal = () => {
    try {
      return Deno.readTextFileSync(join(state, "clearml-agent.service.journal"));
    } catch {
      return "(no journal)";
    }
  };
  try {
    const home = join(dir, "home");
    const tmp = join(dir, "tmp");
    const bin = join(dir, "fake-bin");
    for (const d of [home, tmp, bin, state]) await Deno.mkdir(d);
    const machine = { PATH: SYSTEM_PATH, HOME: home, TMPDIR: tmp, DENO_DIR, LANG: "C.UTF-8" };
    Deno.writeTextFileSync(join(bin, "systemctl"), fakeSystemctl(state, machine), { mode: 0o755 });
    Deno.writeTextFileSync(join(bin, "uname"), '#!/bin/sh\ncase "$1" in -m) echo x86_64 ;; *) echo Linux ;; esac\n', {
      mode: 0o755,
    });

    let settings = yamlFile("/etc/clearml-agent/bootstrap.env");
    const values: Record<string, string> = {
      CLEARML_API_HOST: srv.url,
      CLEARML_WEB_HOST: srv.url,
      CLEARML_FILES_HOST: srv.filesUrl,
      CLEARML_API_ACCESS_KEY: TEST_ACCESS_KEY,
      CLEARML_API_SECRET_KEY: TEST_SECRET_KEY,
      CLEARML_AGENT_QUEUE: QUEUE,
      CLEARML_AGENT_BASE_URL: release.base,
    };
    for (const [name, value] of Object.entries(values)) {
      settings = settings.replace(new RegExp(`^${name}=.*$`, "m"), `${name}=${value}`);
    }
    const settingsFile = join(dir, "bootstrap.env");
    Deno.writeTextFileSync(settingsFile, settings, { mode: 0o600 });
    const script = join(dir, "clearml-agent-bootstrap");
    Deno.writeTextFileSync(script, yamlFile("/usr/local/sbin/clearml-agent-bootstrap"), { mode: 0o755 });

    // cloud-init's runcmd: root's environment, the unit and install folders moved into the temp dir.
    const env = {
      ...machine,
      PATH: `${bin}:${SYSTEM_PATH}`,
      CLEARML_AGENT_INSTALL_DIR: join(dir, "bin"),
      CLEARML_AGENT_UNIT_DIR: join(dir, "units"),
      CLEARML_AGENT_SERVICE_ENV: join(dir, "clearml-agent.env"),
    };
    const boot = await runLogged(["sh", script, settingsFile], env, join(dir, "cloud-init-output.log"), 120_000);
    const pidText = await Deno.readTextFile(join(state, "clearml-agent.service.pid")).catch(() => "");
    if (pidText.trim()) daemonPid = Number(pidText.trim());
    assert.equal(boot.code, 0, boot.out);
    assert.match(boot.out, new RegExp(`Installed ${dir}/bin/clearml-agent \\(CLEARML-AGENT version`));
    assert.match(boot.out, /New configuration stored in .*\/home\/clearml\.conf/);
    assert.match(boot.out, new RegExp(`clearml-agent bootstrap: worker started on queue ${QUEUE}\n`));
    assert.ok(daemonPid && alive(daemonPid), `no service process\n${journal()}`);
    assert.ok(release.requests.some((p) => p.endsWith("/SHA256SUMS")), release.requests.join("\n"));
    assert.equal(Deno.statSync(env.CLEARML_AGENT_SERVICE_ENV).mode! & 0o777, 0o600);

    const workers = await until("the service's worker to register", async () => {
      const ids = await workersOn(srv);
      return ids.length > 0 ? ids : undefined;
    }, 30_000).catch((err) => {
      throw new Error(`${err.message}\n${journal()}`);
    });
    assert.equal(workers.length, 1, workers.join(", "));

    // A user's task, made with the installed binary and the ~/clearml.conf that init wrote.
    const taskScript = join(dir, "hello.py");
    Deno.writeTextFileSync(taskScript, 'import sys\nprint("hello from the cloud-init worker", sys.version_info[0])\n');
    const create = await runLogged(
      [join(dir, "bin", "clearml-agent"), "task", "create", "--project", "cloud-init", "--name", "first task"]
        .concat(["--script", taskScript, "--queue", QUEUE]),
      { PATH: SYSTEM_PATH, HOME: home, TMPDIR: tmp, DENO_DIR },
      join(dir, "task-create.log"),
      60_000,
    );
    assert.equal(create.code, 0, create.out);
    const taskId = create.out.match(/^(\w{32})$/m)?.[1];
    assert.ok(taskId, create.out);

    const task = await until("the task to finish", async () => {
      const t = (await srv.client.ok("tasks.get_by_id", { task: taskId })).task as Record<string, unknown>;
      return ["completed", "failed", "stopped"].includes(t.status as string) ? t : undefined;
    }, 90_000).catch((err) => {
      throw new Error(`${err.message}\n${journal()}`);
    });
    assert.equal(task.status, "completed", journal());
    const log = await srv.client.ok("events.get_task_log", {
      task: taskId,
      navigate_earlier: false,
      batch_size: 10_000,
    });
    const lines = (log.events as { msg: string }[]).flatMap((e) => e.msg.split("\n"));
    assert.ok(lines.includes("hello from the cloud-init worker 3"), lines.join("\n"));

    // systemctl stop: ExecStop (`daemon --stop --drain`) returns once the daemon is gone; no SIGTERM is needed.
    const stop = await runLogged(
      [join(bin, "systemctl"), "stop", "clearml-agent.service"],
      env,
      join(dir, "stop.log"),
      60_000,
    );
    assert.equal(stop.code, 0, stop.out);
    assert.equal(alive(daemonPid), false, journal());
    const calls = Deno.readTextFileSync(join(state, "calls")).trimEnd().split("\n");
    assert.deepEqual(calls, [
      "systemctl daemon-reload",
      "systemctl enable --now clearml-agent.service",
      "systemctl stop clearml-agent.service",
    ]);
    assert.match(journal(), /SIGUSR1 received: draining/);
    assert.match(journal(), new RegExp(`Worker "${RegExp.escape(workers[0])}" stopped\n`));
    assert.match(journal(), new RegExp(`pid=${daemonPid} has exited\n$`));
    assert.doesNotMatch(journal(), /SIGTERM received/);
    assert.deepEqual(await workersOn(srv), []);
  } finally {
    if (daemonPid !== undefined) await killDaemon(daemonPid);
    await release.close();
    await srv.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
