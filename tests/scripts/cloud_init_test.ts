/**
 * scripts/cloud-init.yaml: valid YAML in cloud-init's shape, and its bootstrap script is valid shell that reads
 * only the settings its settings file defines. Running the script end to end (a daemon taking a task from the
 * embedded server) waits for `init` and `daemon`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/cli.ts";

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
