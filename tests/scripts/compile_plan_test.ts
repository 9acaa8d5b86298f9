import assert from "node:assert/strict";
import { ROOT } from "../helpers/cli.ts";
import {
  ALL_TARGETS,
  binaryName,
  compileArgs,
  DEFAULT_RELEASE_BASE_URL,
  devOnlyModules,
  EXCLUDES,
  executableTarget,
  parseTarget,
  PERMISSION_SET,
  planCompile,
  releaseBaseUrl,
  sha256sums,
  type Target,
  TARGETS,
  withReleaseBaseUrl,
} from "../../scripts/compile_plan.ts";

function elf(machine: number, cls = 2, data = 1): Uint8Array {
  const head = new Uint8Array(64);
  head.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1]);
  new DataView(head.buffer).setUint16(18, machine, true);
  return head;
}

function macho(cpu: number): Uint8Array {
  const head = new Uint8Array(64);
  const view = new DataView(head.buffer);
  view.setUint32(0, 0xfeedfacf, true);
  view.setUint32(4, cpu, true);
  return head;
}

Deno.test("compileArgs() builds one deno compile argument list per target from the agent permission set", () => {
  const table: Array<[Target, string]> = [
    ["linux-x64", "x86_64-unknown-linux-gnu"],
    ["linux-arm64", "aarch64-unknown-linux-gnu"],
    ["darwin-x64", "x86_64-apple-darwin"],
    ["darwin-arm64", "aarch64-apple-darwin"],
  ];
  assert.deepEqual(ALL_TARGETS, table.map(([t]) => t));
  for (const [target, triple] of table) {
    const args = compileArgs({ target, root: "/r", outDir: "/r/dist" });
    assert.equal(args[0], "compile");
    assert.equal(args[1], "-P=agent");
    assert.equal(args[args.indexOf("--target") + 1], triple);
    assert.equal(args[args.indexOf("--output") + 1], `/r/dist/clearml-agent-${target}`);
    assert.equal(args[args.indexOf("--config") + 1], "/r/deno.json");
    assert.equal(args.at(-1), "/r/main.ts");
    assert.ok(!args.some((a) => a === "-A" || a === "--allow-all" || a.startsWith("--allow-")), args.join(" "));
    for (const path of EXCLUDES) assert.ok(args.includes(`/r/${path}`), `no --exclude ${path}`);
  }
});

Deno.test("compileArgs() and the deno.json task agent reference the same permission set", () => {
  const denoJson = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  assert.equal(PERMISSION_SET, "agent");
  assert.ok(denoJson.permissions[PERMISSION_SET], "deno.json lacks the permission set");
  const task: string = denoJson.tasks.agent;
  assert.match(task, new RegExp(` -P=${PERMISSION_SET} `));
  assert.ok(!/ -A |--allow-/.test(task), task);
  assert.ok(compileArgs({ target: "linux-x64", root: ROOT, outDir: "/o" }).includes(`-P=${PERMISSION_SET}`));
  assert.match(denoJson.tasks.compile, /scripts\/compile\.ts/);
});

Deno.test("EXCLUDES and the lock's dev-only modules keep every development dependency out of the binary", () => {
  const pkg = JSON.parse(Deno.readTextFileSync(`${ROOT}/package.json`));
  const excluded = [...EXCLUDES, ...devOnlyModules(Deno.readTextFileSync(`${ROOT}/package-lock.json`))];
  for (const name of Object.keys(pkg.devDependencies ?? {})) {
    assert.ok(excluded.includes(`node_modules/${name}`), `node_modules/${name} is not excluded`);
  }
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    assert.ok(!excluded.some((e) => e === `node_modules/${name}`), `runtime dependency ${name} is excluded`);
  }
  const args = compileArgs({ target: "linux-x64", root: "/r", outDir: "/o", devOnly: ["node_modules/x"] });
  assert.ok(args.includes("/r/node_modules/x"), "a dev-only module is passed to --exclude");
});

Deno.test("executableTarget() reads the target of ELF and Mach-O headers and rejects anything else", () => {
  const table: Array<[string, Uint8Array, Target | undefined]> = [
    ["ELF x86-64", elf(0x3e), "linux-x64"],
    ["ELF AArch64", elf(0xb7), "linux-arm64"],
    ["Mach-O x86_64", macho(0x01000007), "darwin-x64"],
    ["Mach-O arm64", macho(0x0100000c), "darwin-arm64"],
    ["ELF 32-bit", elf(0x3e, 1), undefined],
    ["ELF big-endian", elf(0xb7, 2, 2), undefined],
    ["ELF RISC-V", elf(0xf3), undefined],
    ["Mach-O i386", macho(7), undefined],
    ["PE", new TextEncoder().encode("MZ".padEnd(64, "\0")), undefined],
    ["shell script", new TextEncoder().encode("#!/bin/sh\necho denort\n"), undefined],
    ["short", new Uint8Array([0x7f, 0x45]), undefined],
  ];
  for (const [name, head, want] of table) assert.equal(executableTarget(head), want, name);
});

Deno.test("parseTarget() accepts release names and Rust triples", () => {
  for (const target of ALL_TARGETS) {
    assert.equal(parseTarget(target), target);
    assert.equal(parseTarget(TARGETS[target]), target);
  }
  assert.equal(parseTarget("windows-x64"), undefined);
  assert.equal(binaryName("darwin-arm64"), "clearml-agent-darwin-arm64");
});

Deno.test("planCompile() chooses runs or one error line for each combination of DENORT_BIN and --download", () => {
  const base = { requested: [] as Target[], download: false, denoVersion: "2.9.6" };
  const table: Array<[string, Parameters<typeof planCompile>[0], RegExp | Array<[Target, string | undefined]>]> = [
    ["nothing", base, /^Missing the denort runtime: set DENORT_BIN .*denort-x86_64-unknown-linux-gnu\.zip.*--download/],
    [
      "nothing, darwin asked",
      { ...base, requested: ["darwin-arm64"] },
      /"darwin-arm64".*v2\.9\.6\/denort-aarch64-apple-darwin\.zip/,
    ],
    ["DENORT_BIN", { ...base, denortBin: "/d", denortTarget: "linux-arm64" }, [["linux-arm64", "/d"]]],
    [
      "DENORT_BIN, its target asked",
      { ...base, requested: ["linux-x64"], denortBin: "/d", denortTarget: "linux-x64" },
      [["linux-x64", "/d"]],
    ],
    [
      "DENORT_BIN, other target asked",
      { ...base, requested: ["linux-x64", "darwin-x64"], denortBin: "/d", denortTarget: "linux-x64" },
      /^DENORT_BIN "\/d" is the runtime for "linux-x64" only: cannot build "darwin-x64"/,
    ],
    ["DENORT_BIN not a runtime", { ...base, denortBin: "/d" }, /^DENORT_BIN "\/d" is not a denort runtime/],
    ["download", { ...base, download: true }, ALL_TARGETS.map((t) => [t, undefined])],
    [
      "download, one asked twice",
      { ...base, download: true, requested: ["darwin-x64", "darwin-x64"] },
      [["darwin-x64", undefined]],
    ],
    ["both", { ...base, download: true, denortBin: "/d", denortTarget: "linux-x64" }, /^Cannot use DENORT_BIN and/],
  ];
  for (const [name, input, want] of table) {
    const plan = planCompile(input);
    if (want instanceof RegExp) {
      assert.ok(!plan.ok, name);
      assert.match(plan.error, want, name);
      assert.ok(!plan.error.includes("\n"), `${name}: more than one line`);
    } else {
      assert.ok(plan.ok, name);
      assert.deepEqual(plan.runs.map((r) => [r.target, r.denortBin]), want, name);
    }
  }
});

Deno.test("sha256sums() writes sorted sha256sum lines", () => {
  const text = sha256sums([
    { name: "clearml-agent-linux-x64", sha256: "b".repeat(64) },
    { name: "clearml-agent-darwin-arm64", sha256: "a".repeat(64) },
  ]);
  assert.equal(text, `${"a".repeat(64)}  clearml-agent-darwin-arm64\n${"b".repeat(64)}  clearml-agent-linux-x64\n`);
  assert.equal(sha256sums([]), "");
});

Deno.test("releaseBaseUrl() and withReleaseBaseUrl(): one address, written into the one RELEASE_BASE_URL line", () => {
  assert.equal(releaseBaseUrl({}), DEFAULT_RELEASE_BASE_URL);
  assert.equal(releaseBaseUrl({ CLEARML_AGENT_BASE_URL: "" }), DEFAULT_RELEASE_BASE_URL);
  assert.equal(releaseBaseUrl({ CLEARML_AGENT_BASE_URL: "http://127.0.0.1:8/r//" }), "http://127.0.0.1:8/r");
  for (const bad of ["ftp://x/y", "https://x/$(id)", "https://x/`id`", 'https://x/"', "https://x y", "/releases"]) {
    assert.throws(() => releaseBaseUrl({ CLEARML_AGENT_BASE_URL: bad }), /is not a plain http\(s\) URL/, bad);
  }
  const script = 'set -eu\n  RELEASE_BASE_URL=""\nBASE="${X:-$RELEASE_BASE_URL}"\n';
  assert.equal(
    withReleaseBaseUrl(script, "https://m.example/r", "a.sh"),
    'set -eu\n  RELEASE_BASE_URL="https://m.example/r"\nBASE="${X:-$RELEASE_BASE_URL}"\n',
  );
  assert.throws(() => withReleaseBaseUrl("echo\n", "https://m/r", "b.sh"), /"b.sh" has 0 lines RELEASE_BASE_URL=""/);
  assert.throws(
    () => withReleaseBaseUrl('RELEASE_BASE_URL=""\nRELEASE_BASE_URL=""\n', "https://m/r", "c.sh"),
    /"c.sh" has 2 lines/,
  );
});
