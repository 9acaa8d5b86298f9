/**
 * scripts/cloud-init.yaml: valid YAML in cloud-init's shape; its bootstrap script is valid shell that reads only the
 * settings its settings file defines, and runs the right steps in order against a fake release whose binary records
 * its calls. `cloud_init_e2e_test.ts` runs it with the real agent (a service daemon taking a task from the embedded
 * server).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/cli.ts";
import { releaseFiles, serveRelease } from "./fake_release.ts";

interface WriteFile {
  path: string;
  permissions?: string;
  owner?: string;
  content: string;
}

const TEXT = Deno.readTextFileSync(join(ROOT, "scripts", "cloud-init.yaml"));
const DOC = parse(TEXT) as { packages: string[]; write_files: WriteFile[]; runcmd: unknown[] };

function file(path: string): WriteFile {
  const f = DOC.write_files.find((w) => w.path === path);
  assert.ok(f, `write_files has no ${path}`);
  return f;
}

Deno.test("cloud-init.yaml is #cloud-config YAML with the settings file, the bootstrap script and its runcmd", () => {
  assert.ok(TEXT.startsWith("#cloud-config\n"));
  assert.deepEqual(Object.keys(DOC).sort(), ["packages", "runcmd", "write_files"]);
  for (const pkg of ["curl", "git", "python3", "python3-venv"]) assert.ok(DOC.packages.includes(pkg), pkg);
  const settings = file("/etc/clearml-agent/bootstrap.env");
  assert.equal(settings.permissions, "0600");
  assert.equal(settings.owner, "root:root");
  const script = file("/usr/local/sbin/clearml-agent-bootstrap");
  assert.equal(script.permissions, "0755");
  assert.ok(script.content.startsWith("#!/bin/sh\n"));
  assert.deepEqual(DOC.runcmd, [["/usr/local/sbin/clearml-agent-bootstrap"]]);
});

Deno.test("cloud-init.yaml bootstrap script is valid sh and uses only settings the settings file defines", async () => {
  const settings = file("/etc/clearml-agent/bootstrap.env").content;
  const defined = new Set([...settings.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
  for (const name of ["CLEARML_API_HOST", "CLEARML_API_ACCESS_KEY", "CLEARML_API_SECRET_KEY", "CLEARML_AGENT_QUEUE"]) {
    assert.ok(defined.has(name), name);
  }
  const script = file("/usr/local/sbin/clearml-agent-bootstrap").content;
  const optional = new Set(["CLEARML_AGENT_INSTALL_DIR", "CLEARML_AGENT_UNIT_DIR", "CLEARML_AGENT_SERVICE_ENV"]);
  for (const [, name] of script.matchAll(/\$\{?(CLEARML_[A-Z_]+)/g)) {
    assert.ok(defined.has(name) || optional.has(name), `the script reads ${name}, which bootstrap.env lacks`);
  }
  for (const step of ["install.sh", "init --non-interactive --credentials -", "install-service", "doctor"]) {
    assert.ok(script.includes(step), step);
  }
  const out = await new Deno.Command("sh", { args: ["-n"], stdin: "piped", stderr: "piped" }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const result = await out.output();
  assert.equal(new TextDecoder().decode(result.stderr), "");
  assert.equal(result.code, 0);
});

Deno.test("cloud-init.yaml bootstrap script stops with one line when the credentials are not filled in", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const settings = join(dir, "bootstrap.env");
    Deno.writeTextFileSync(settings, file("/etc/clearml-agent/bootstrap.env").content);
    const script = join(dir, "bootstrap");
    Deno.writeTextFileSync(script, file("/usr/local/sbin/clearml-agent-bootstrap").content, { mode: 0o755 });
    const out = await new Deno.Command("sh", { args: [script, settings], stdout: "piped", stderr: "piped" }).output();
    assert.equal(out.code, 1);
    assert.equal(
      new TextDecoder().decode(out.stderr),
      `clearml-agent bootstrap: error: set CLEARML_API_ACCESS_KEY and CLEARML_API_SECRET_KEY in ${settings}\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cloud-init.yaml from the repository (no release address) stops with one line asking for one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const settings = join(dir, "bootstrap.env");
    const text = file("/etc/clearml-agent/bootstrap.env").content
      .replace(/^CLEARML_API_ACCESS_KEY=.*$/m, "CLEARML_API_ACCESS_KEY=AK")
      .replace(/^CLEARML_API_SECRET_KEY=.*$/m, "CLEARML_API_SECRET_KEY=SK");
    Deno.writeTextFileSync(settings, text);
    const script = join(dir, "bootstrap");
    Deno.writeTextFileSync(script, file("/usr/local/sbin/clearml-agent-bootstrap").content, { mode: 0o755 });
    const out = await new Deno.Command("sh", {
      args: [script, settings],
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    assert.equal(
      new TextDecoder().decode(out.stderr),
      `clearml-agent bootstrap: error: set CLEARML_AGENT_BASE_URL in ${settings} (or use the release's cloud-init.yaml)\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const RECORDING_AGENT = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "CLEARML-AGENT version 0.1.0"; exit 0; fi
printf 'agent %s\\n' "$*" >> "$AGENT_LOG"
if [ "$1" = init ]; then printf 'stdin %s\\n' "$(tr '\\n' ' ')" >> "$AGENT_LOG"; fi
`;

const TOOLS = ["sh", "curl", "awk", "cut", "tr", "mktemp", "chmod", "mkdir", "cp", "mv", "rm", "sha256sum", "id"];

function systemTool(name: string): string {
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    try {
      if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
    } catch {
      // next folder
    }
  }
  throw new Error(`"${name}" is not installed`);
}

async function bootstrap(settings: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "cloud-init-" });
  const release = serveRelease(await releaseFiles({ "clearml-agent-linux-x64": RECORDING_AGENT }));
  try {
    const bin = join(dir, "fake-bin");
    await Deno.mkdir(bin);
    const programs: Record<string, string> = {
      uname: 'case "$1" in -m) echo x86_64 ;; *) echo Linux ;; esac',
      systemctl: 'printf "systemctl %s\\n" "$*" >> "$AGENT_LOG"',
      "apt-get": 'printf "apt-get %s\\n" "$*" >> "$AGENT_LOG"',
    };
    for (const [name, body] of Object.entries(programs)) {
      Deno.writeTextFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }
    // Only the tools the scripts use, so that no docker (or anything else) of this machine is on PATH.
    const tools = join(dir, "tools");
    await Deno.mkdir(tools);
    for (const tool of TOOLS) Deno.symlinkSync(systemTool(tool), join(tools, tool));
    let env = file("/etc/clearml-agent/bootstrap.env").content;
    for (const [name, value] of Object.entries({ ...settings, CLEARML_AGENT_BASE_URL: release.base })) {
      env = env.replace(new RegExp(`^${name}=.*$`, "m"), `${name}=${value}`);
    }
    const settingsFile = join(dir, "bootstrap.env");
    Deno.writeTextFileSync(settingsFile, env);
    const script = join(dir, "bootstrap");
    Deno.writeTextFileSync(script, file("/usr/local/sbin/clearml-agent-bootstrap").content, { mode: 0o755 });
    const log = join(dir, "agent.log");
    const out = await new Deno.Command("sh", {
      args: [script, settingsFile],
      clearEnv: true,
      env: {
        PATH: `${bin}:${tools}`,
        HOME: join(dir, "home"),
        AGENT_LOG: log,
        CLEARML_AGENT_INSTALL_DIR: join(dir, "bin"),
        CLEARML_AGENT_UNIT_DIR: join(dir, "units"),
        CLEARML_AGENT_SERVICE_ENV: join(dir, "agent.env"),
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      log: Deno.readTextFileSync(log).trimEnd().split("\n"),
      dir,
    };
  } finally {
    await release.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cloud-init.yaml bootstrap installs the release, runs init with the credentials on stdin, then starts the service", async () => {
  const r = await bootstrap({
    CLEARML_API_HOST: "http://10.1.2.3:8008",
    CLEARML_API_ACCESS_KEY: "AKBOOT1",
    CLEARML_API_SECRET_KEY: "boot-secret-1",
    CLEARML_AGENT_QUEUE: "gpu",
  });
  assert.equal(r.code, 0, r.stderr);
  const dir = r.dir;
  assert.deepEqual(r.log.map((l) => l.replaceAll(dir, "<tmp>")), [
    "agent init --non-interactive --credentials -",
    'stdin api {   api_server: "http://10.1.2.3:8008"   web_server: "https://app.clear.ml"   ' +
    'files_server: "https://files.clear.ml"   credentials {     "access_key" = "AKBOOT1"     ' +
    '"secret_key" = "boot-secret-1"   } } ',
    "agent doctor",
    "agent install-service --queue gpu --create-queue --unit-dir <tmp>/units --env-file <tmp>/agent.env",
    "systemctl daemon-reload",
    "systemctl enable --now clearml-agent.service",
  ]);
  assert.match(r.stdout, /Installed .*\/bin\/clearml-agent/);
  assert.match(r.stdout, /clearml-agent bootstrap: worker started on queue gpu\n$/);
});

Deno.test("cloud-init.yaml bootstrap in docker mode installs an engine when missing and passes the image on", async () => {
  const r = await bootstrap({
    CLEARML_API_ACCESS_KEY: "AKBOOT1",
    CLEARML_API_SECRET_KEY: "boot-secret-1",
    CLEARML_AGENT_DOCKER: "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
  });
  assert.equal(r.code, 0, r.stderr);
  const agentCalls = r.log.filter((l) => l.startsWith("agent ") || l.startsWith("apt-get "));
  assert.deepEqual(agentCalls.map((l) => l.replaceAll(r.dir, "<tmp>")), [
    "agent init --non-interactive --credentials -",
    "apt-get install -y -q docker.io",
    "agent doctor --docker",
    "agent install-service --queue default --create-queue --docker nvidia/cuda:12.4.1-runtime-ubuntu22.04 " +
    "--unit-dir <tmp>/units --env-file <tmp>/agent.env",
  ]);
});
