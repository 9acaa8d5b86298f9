/**
 * `deno task compile` as a process. No real `denort` runtime can be fetched here, so the end-to-end build uses a
 * stand-in: a small executable of this machine (`/bin/true`) as `DENORT_BIN`. `deno compile` appends the program
 * to it exactly as it would to denort; the result does not run the agent, but its embedded permissions and module
 * list are the real ones, read back with `readPayload`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";
import { readPayload } from "../../scripts/compile_payload.ts";
import { ALL_TARGETS, DEFAULT_RELEASE_BASE_URL, executableTarget } from "../../scripts/compile_plan.ts";

const STAND_IN = "/bin/true";

async function compile(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${ROOT}/scripts/compile.ts`, ...args],
    cwd: ROOT,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function hostTarget() {
  const head = Deno.readFileSync(STAND_IN).subarray(0, 64);
  const target = executableTarget(head);
  assert.ok(target, `${STAND_IN} is not an executable of a release target`);
  return target;
}

Deno.test("compile.ts without DENORT_BIN exits 1 with one line saying the runtime is missing", async () => {
  const outDir = await Deno.makeTempDir();
  try {
    const r = await compile(["--out-dir", outDir], {});
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^compile: error: Missing the denort runtime: set DENORT_BIN to the denort \d+\.\d+\.\d+/);
    assert.deepEqual([...Deno.readDirSync(outDir)], []);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("compile.ts refuses a DENORT_BIN of another target, a non-runtime DENORT_BIN and an unknown target", async () => {
  const host = hostTarget();
  const other = ALL_TARGETS.find((t) => !t.startsWith(host.split("-")[0]))!;
  const outDir = await Deno.makeTempDir();
  const text = join(outDir, "denort.txt");
  Deno.writeTextFileSync(text, "not a runtime\n");
  try {
    const wrong = await compile(["--target", other, "--out-dir", outDir], { DENORT_BIN: STAND_IN });
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr.trim(),
      `compile: error: DENORT_BIN "${STAND_IN}" is the runtime for "${host}" only: cannot build "${other}" with it ` +
        "(run once per target, each with its own DENORT_BIN)",
    );
    const notRuntime = await compile(["--out-dir", outDir], { DENORT_BIN: text });
    assert.equal(notRuntime.code, 1);
    assert.match(notRuntime.stderr, /^compile: error: DENORT_BIN ".*denort\.txt" is not a denort runtime/);
    const missing = await compile(["--out-dir", outDir], { DENORT_BIN: join(outDir, "nope") });
    assert.match(missing.stderr, /^compile: error: DENORT_BIN ".*nope" cannot be read/);
    const unknown = await compile(["--target", "windows-x64"], {});
    assert.match(unknown.stderr, /^compile: error: Unknown target "windows-x64": choose from linux-x64, /);
    assert.deepEqual([...Deno.readDirSync(outDir)].map((e) => e.name), ["denort.txt"]);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("compile.ts with DENORT_BIN builds its target with the agent permissions, every module and SHA256SUMS", async () => {
  const host = hostTarget();
  const outDir = await Deno.makeTempDir();
  try {
    const r = await compile(["--out-dir", outDir], { DENORT_BIN: STAND_IN });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`built .*clearml-agent-${host} \\(\\d+\\.\\d MB, version \\d+\\.\\d+\\.\\d+\\)`));
    const binary = join(outDir, `clearml-agent-${host}`);
    const payload = readPayload(Deno.readFileSync(binary));
    const perms = payload.metadata.permissions as Record<string, unknown>;
    // Every permission: Deno 2.9 reads /proc (process trees, machine stats) only when all are granted.
    for (const kind of ["read", "write", "net", "env", "run", "sys", "ffi"]) {
      assert.deepEqual(perms[`allow_${kind}`], []);
    }
    for (const entry of Deno.readDirSync(join(ROOT, "lib/cli"))) {
      assert.ok(payload.files.includes(`lib/cli/${entry.name}`), `lib/cli/${entry.name} not embedded`);
    }
    const pkg = JSON.parse(Deno.readTextFileSync(`${ROOT}/package.json`));
    for (const name of Object.keys(pkg.dependencies)) {
      assert.ok(payload.files.includes(`node_modules/${name}/package.json`), `runtime dependency ${name} not embedded`);
    }
    for (const name of ["deno", "@deno", ...Object.keys(pkg.devDependencies)]) {
      const found = payload.files.find((f) => f.startsWith(`node_modules/${name}/`));
      assert.equal(found, undefined, `development dependency ${name} embedded`);
    }
    const check = await new Deno.Command("sha256sum", { args: ["-c", "SHA256SUMS"], cwd: outDir }).output();
    assert.equal(new TextDecoder().decode(check.stdout), `clearml-agent-${host}: OK\n`);
    assert.equal(check.code, 0);
    // The scripts carry the default release address (no CLEARML_AGENT_BASE_URL at build time).
    for (const name of ["install.sh", "cloud-init.yaml"]) {
      const source = Deno.readTextFileSync(`${ROOT}/scripts/${name}`);
      assert.equal(
        Deno.readTextFileSync(join(outDir, name)),
        source.replace('RELEASE_BASE_URL=""', `RELEASE_BASE_URL="${DEFAULT_RELEASE_BASE_URL}"`),
      );
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("compile.ts --assets-only: SHA256SUMS over the runners' binaries, the scripts with CLEARML_AGENT_BASE_URL", async () => {
  const outDir = await Deno.makeTempDir();
  try {
    const empty = await compile(["--assets-only", "--out-dir", outDir], {});
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^compile: error: No binaries in ".*" to list in SHA256SUMS\n$/);
    assert.deepEqual([...Deno.readDirSync(outDir)], []);
    Deno.writeTextFileSync(join(outDir, "clearml-agent-linux-arm64"), "arm\n");
    Deno.writeTextFileSync(join(outDir, "clearml-agent-darwin-x64"), "mac\n");
    const base = "https://mirror.example.com/clearml-agent/releases";
    const bad = await compile(["--assets-only", "--out-dir", outDir], { CLEARML_AGENT_BASE_URL: 'x"; rm -rf /' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^compile: error: CLEARML_AGENT_BASE_URL "x"; rm -rf \/" is not a plain http\(s\) URL\n$/);
    const r = await compile(["--assets-only", "--out-dir", outDir], { CLEARML_AGENT_BASE_URL: `${base}/` });
    assert.equal(r.code, 0, r.stderr);
    const check = await new Deno.Command("sha256sum", { args: ["-c", "SHA256SUMS"], cwd: outDir }).output();
    assert.equal(
      new TextDecoder().decode(check.stdout),
      "clearml-agent-darwin-x64: OK\nclearml-agent-linux-arm64: OK\n",
    );
    for (const name of ["install.sh", "cloud-init.yaml"]) {
      const text = Deno.readTextFileSync(join(outDir, name));
      assert.equal(text.match(/RELEASE_BASE_URL="[^"]*"/g)?.join(), `RELEASE_BASE_URL="${base}"`, name);
    }
    assert.equal(Deno.statSync(join(outDir, "install.sh")).mode! & 0o777, 0o755);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
