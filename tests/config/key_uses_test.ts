/**
 * No configuration key silently ignored: every key of the typed schema is read by a named file, belongs to the
 * task's SDK, or is listed as accepted without effect with a reason (lib/config/key_uses.ts); `config` marks
 * the latter.
 */
import assert from "node:assert/strict";
import { SCHEMA } from "../../lib/config/config_schema.ts";
import { KEY_USES, keyUse, noEffectReason } from "../../lib/config/key_uses.ts";
import { configPrintout } from "../../lib/config/printout.ts";
import { schemaEntries } from "../../lib/config/schema.ts";
import { runCli } from "../helpers/cli.ts";

/** Leaves too common to prove a read on their own: the consumer must name `parent.leaf`. */
const GENERIC = new Set(["path", "enabled", "key", "secret", "type", "image", "arguments", "url", "version"]);

const word = (source: string, text: string) =>
  new RegExp(`(^|[^A-Za-z0-9_])${text.replace(/\./g, "\\.")}($|[^A-Za-z0-9_])`).test(source);

/** Whether `source` reads the key at `path`: its name, or for a generic leaf its section's name and `.leaf`. */
function reads(source: string, path: string): boolean {
  const parts = path.split(".");
  const leaf = parts.at(-1)!;
  if (!GENERIC.has(leaf)) return word(source, leaf);
  return word(source, parts.at(-2)!) && source.includes(`.${leaf}`);
}

Deno.test("every schema key is consumed by a named file, the task's SDK, or listed without effect", () => {
  const missing: string[] = [];
  const unread: string[] = [];
  for (const { path } of schemaEntries(SCHEMA)) {
    const use = keyUse(path);
    if (!use) {
      missing.push(path);
      continue;
    }
    if ("consumer" in use) {
      const source = Deno.readTextFileSync(use.consumer);
      if (!reads(source, path)) unread.push(`${path} (${use.consumer})`);
    }
    if ("noEffect" in use) assert.ok(use.noEffect.length > 10, `${path}: give the reason`);
  }
  assert.deepEqual(missing, [], "keys neither consumed nor listed in lib/config/key_uses.ts");
  assert.deepEqual(unread, [], "consumers that do not read their key");
});

Deno.test("key_uses lists only keys the schema has", () => {
  const paths = new Set(schemaEntries(SCHEMA).map((e) => e.path));
  assert.deepEqual(Object.keys(KEY_USES).filter((p) => !paths.has(p)), []);
});

Deno.test("the config printout marks keys accepted without effect, right above them", () => {
  const text = configPrintout(
    { agent: { venv_update: { enabled: false }, package_manager: { type: "uv", conda_channels: ["a", "b"] } } },
    undefined,
  );
  const lines = text.split("\n");
  const at = lines.indexOf("agent.venv_update.enabled = false");
  assert.equal(
    lines[at - 1],
    `# no effect (accepted for compatibility): ${noEffectReason("agent.venv_update.enabled")}`,
  );
  const channels = lines.indexOf("agent.package_manager.conda_channels.0 = a");
  assert.match(lines[channels - 1], /^# no effect \(accepted for compatibility\): conda is not built/);
  assert.doesNotMatch(lines[lines.indexOf("agent.package_manager.conda_channels.1 = b") - 1], /^#/);
  assert.doesNotMatch(lines[lines.indexOf("agent.package_manager.type = uv") - 1], /^#/);
});

Deno.test("clearml-agent config marks a key without effect set in clearml.conf", async () => {
  const dir = await Deno.makeTempDir({ prefix: "clearml-key-uses-" });
  try {
    const file = `${dir}/clearml.conf`;
    await Deno.writeTextFile(file, 'agent { venv_update { enabled: true }, package_manager { type: "poetry" } }\n');
    const r = await runCli(["--config-file", file, "config"], { env: { HOME: dir } });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    const at = lines.indexOf("agent.venv_update.enabled = true");
    assert.ok(at > 0, r.stdout);
    assert.equal(lines[at - 1], "# no effect (accepted for compatibility): deprecated in the reference");
    assert.doesNotMatch(lines[lines.indexOf("agent.package_manager.type = poetry") - 1], /no effect/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
