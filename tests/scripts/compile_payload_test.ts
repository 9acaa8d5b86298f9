import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ROOT } from "../helpers/cli.ts";
import { literalDynamicImports, type Payload, payloadProblems, readPayload } from "../../scripts/compile_payload.ts";

const AGENT_SET = { read: true, write: true, net: true, env: true, run: true, sys: true };

function payloadBytes(metadata: unknown, vfs: unknown): Uint8Array {
  const enc = new TextEncoder();
  const parts = [
    enc.encode("\x7fELF runtime bytes d3n0l4nd in the runtime's own text"),
    enc.encode("d3n0l4nd"),
    new Uint8Array(8),
    enc.encode(JSON.stringify(metadata)),
    new Uint8Array([0, 0, 0, 0, 0x55, 0, 0, 0]),
    enc.encode(JSON.stringify(vfs)),
    new Uint8Array(16),
    enc.encode("d3n0l4nd.shstrtab"),
  ];
  return Buffer.concat(parts);
}

function allowed(kinds: string[]): Record<string, unknown> {
  const perms: Record<string, unknown> = { allow_ffi: null };
  for (const k of kinds) perms[`allow_${k}`] = [];
  return perms;
}

Deno.test("readPayload() reads the metadata and the embedded file tree of a compiled executable", () => {
  const bytes = payloadBytes(
    { argv: [], permissions: allowed(["read"]), entrypoint_key: "main.ts", note: 'a "quoted" } ]' },
    [{ Dir: { n: "lib", e: [{ Dir: { n: "cli", e: [{ File: { n: "x.ts" } }] } }] } }, { File: { n: "main.ts" } }],
  );
  const payload = readPayload(bytes);
  assert.equal(payload.metadata.entrypoint_key, "main.ts");
  assert.deepEqual(payload.files, ["lib/", "lib/cli/", "lib/cli/x.ts", "main.ts"]);
});

Deno.test("readPayload() fails loudly on an executable without a payload", () => {
  assert.throws(() => readPayload(new TextEncoder().encode("\x7fELF plain program")), /no d3n0l4nd marker/);
});

Deno.test("payloadProblems() is empty for the right permissions, modules and exclusions", () => {
  const payload: Payload = {
    metadata: { permissions: allowed(["read", "write", "net", "env", "run", "sys"]) },
    files: ["main.ts", "lib/", "lib/cli/x.ts", "node_modules/", "node_modules/yaml/index.js"],
  };
  const problems = payloadProblems(payload, {
    permissionSet: AGENT_SET,
    required: ["main.ts", "lib/cli/x.ts"],
    excluded: ["node_modules/deno"],
  });
  assert.deepEqual(problems, []);
});

Deno.test("payloadProblems() reports a missing permission, a missing module and an excluded path", () => {
  const payload: Payload = {
    metadata: { permissions: { ...allowed(["read", "write", "net", "env", "sys"]), allow_ffi: [] } },
    files: ["main.ts", "node_modules/deno/deno"],
  };
  const problems = payloadProblems(payload, {
    permissionSet: AGENT_SET,
    required: ["main.ts", "lib/cli/x.ts"],
    excluded: ["node_modules/deno", "node_modules/de"],
  });
  assert.deepEqual(problems, [
    'Permission "run" is null in the binary, expected []',
    'Permission "ffi" is [] in the binary, expected null',
    'Module "lib/cli/x.ts" is not embedded',
    'Excluded path "node_modules/deno" is embedded ("node_modules/deno/deno")',
  ]);
});

Deno.test("literalDynamicImports() lists every subcommand module main.ts loads", () => {
  const imports = literalDynamicImports(Deno.readTextFileSync(`${ROOT}/main.ts`));
  assert.ok(imports.length >= 8, imports.join(", "));
  for (const path of imports) {
    assert.match(path, /^lib\/cli\/[a-z0-9_]+\.ts$/);
    assert.ok(Deno.statSync(`${ROOT}/${path}`).isFile, path);
  }
  assert.deepEqual(literalDynamicImports('await import("./a.ts"); import(name); import( "./b/c.ts" )'), [
    "a.ts",
    "b/c.ts",
  ]);
});
