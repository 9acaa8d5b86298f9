import assert from "node:assert/strict";
import { ConfigError } from "../../lib/config/errors.ts";
import { configCheck } from "../../lib/doctor/config_check.ts";

Deno.test("configCheck() passes for a configuration with a server and credentials", () => {
  const full = { apiServer: "http://s:8008", accessKey: "K", secretKey: "S" };
  const r = configCheck({ ...full, configFile: "/root/clearml.conf", credentialsSource: "/root/clearml.conf" });
  assert.deepEqual(r, { name: "config", ok: true, required: true, detail: "/root/clearml.conf: server http://s:8008" });
  const fromEnv = configCheck({ ...full, credentialsSource: "$CLEARML_API_ACCESS_KEY" });
  assert.ok(fromEnv.ok);
  assert.match(fromEnv.detail, /CLEARML_\* variables only.*credentials from \$CLEARML_API_ACCESS_KEY/);
});

Deno.test("configCheck() fails for a load error and for missing server or credentials", () => {
  const bad = configCheck({ error: new ConfigError('/root/clearml.conf:3:7: expected "}"'), apiServer: "http://s" });
  assert.deepEqual(bad, { name: "config", ok: false, required: true, detail: '/root/clearml.conf:3:7: expected "}"' });
  const none = configCheck({});
  assert.equal(none.ok, false);
  assert.match(none.detail, /missing api\.api_server, api\.credentials\.access_key, .*: run clearml-agent init/);
  const noSecret = configCheck({ configFile: "/c.conf", apiServer: "http://s", accessKey: "K" });
  assert.equal(noSecret.detail, "/c.conf: missing api.credentials.secret_key");
});
