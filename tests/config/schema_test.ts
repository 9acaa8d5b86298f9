import assert from "node:assert/strict";
import { packagedDefaults, schemaEntries } from "../../lib/config/schema.ts";
import { SCHEMA } from "../../lib/config/config_schema.ts";
import { isObject } from "../../lib/config/merge.ts";
import { fixture } from "../helpers/fixtures.ts";

function pruneEmpty(value: unknown): unknown {
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const pruned = pruneEmpty(v);
    if (isObject(pruned) && Object.keys(pruned).length === 0) continue;
    out[k] = pruned;
  }
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

for (const section of ["agent", "api", "sdk"] as const) {
  Deno.test(`packagedDefaults() of the ${section} section equal the reference's packaged ${section}.conf`, () => {
    const expected = JSON.parse(
      Deno.readTextFileSync(fixture("clearml-conf", `agent-default-${section}.conf.expected.json`)),
    );
    const ours = packagedDefaults(SCHEMA)[section];
    assert.deepEqual(sortKeys(pruneEmpty(ours)), sortKeys(pruneEmpty(expected)));
  });
}

Deno.test("schemaEntries() lists every key once with a description", () => {
  const entries = schemaEntries(SCHEMA);
  assert.ok(entries.length > 150, `only ${entries.length} keys`);
  assert.equal(new Set(entries.map((e) => e.path)).size, entries.length);
  for (const { path, key } of entries) assert.ok(key.doc.length > 3, `${path} has no description`);
});

Deno.test("schemaEntries() marks the credentials and git password as secrets", () => {
  const secrets = schemaEntries(SCHEMA).filter((e) => e.key.options.secret).map((e) => e.path);
  for (const p of ["api.credentials.access_key", "api.credentials.secret_key", "agent.git_pass", "sdk.aws.s3.secret"]) {
    assert.ok(secrets.includes(p), `${p} is not a secret`);
  }
});
