/** Image mode (no venv, no installs) and the configuration secrets that are not secrets. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/config/load.ts";
import { registerConfigSecrets } from "../../../lib/config/secrets.ts";
import { clearSecrets, redact } from "../../../lib/secrets/redact.ts";
import { imageModeOf } from "../../../lib/setup/python/python_env.ts";
import { taskEnvironment } from "../../../lib/setup/task_env.ts";

Deno.test("imageModeOf() turns on for package_manager.type none, the reference's skip variables and standalone mode", () => {
  const config = (extra: Record<string, string> = {}) =>
    loadConfig({ env: extra, home: "/nonexistent", hostname: "h" }).typed;
  const cases: [Record<string, string>, Record<string, string>, boolean, unknown][] = [
    [{}, {}, false, undefined],
    [{ CLEARML_AGENT__AGENT__PACKAGE_MANAGER__TYPE: "none" }, {}, false, {
      python: undefined,
      reason: "agent.package_manager.type is none",
    }],
    [{}, { CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL: "1" }, false, {
      python: undefined,
      reason: "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL is set",
    }],
    [{}, { CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL: "0" }, false, undefined],
    [{}, { CLEARML_AGENT_SKIP_PIP_VENV_INSTALL: "true" }, false, {
      python: undefined,
      reason: "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL is set",
    }],
    [{}, { CLEARML_AGENT_SKIP_PIP_VENV_INSTALL: "/opt/venv/bin/python" }, false, {
      python: "/opt/venv/bin/python",
      reason: "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL is set",
    }],
    [{}, {}, true, { python: undefined, reason: "standalone mode" }],
  ];
  for (const [configEnv, env, standalone, want] of cases) {
    assert.deepEqual(
      imageModeOf(config(configEnv), env, standalone),
      want,
      JSON.stringify([configEnv, env, standalone]),
    );
  }
});

Deno.test("taskEnvironment() leaves PATH and VIRTUAL_ENV alone without a venv", () => {
  const base = {
    taskId: "t",
    workerId: "w",
    configFile: "/c",
    logLevel: "INFO",
    pythonPath: ["/code"],
    cpuOnly: false,
  };
  const none = taskEnvironment({ ...base, venvDir: "", base: { PATH: "/usr/bin" } });
  assert.equal("PATH" in none, false);
  assert.equal("VIRTUAL_ENV" in none, false);
  const venv = taskEnvironment({ ...base, venvDir: "/v", base: { PATH: "/usr/bin" } });
  assert.equal(venv.PATH, "/v/bin:/usr/bin");
});

Deno.test("registerConfigSecrets() does not take the masking rules' patterns for secrets", () => {
  clearSecrets();
  try {
    registerConfigSecrets(
      loadConfig({ env: { CLEARML_API_SECRET_KEY: "real-secret-value" }, home: "/nonexistent", hostname: "h" }),
    );
    assert.equal(redact("passed the secrets.env token"), "passed the secrets.env token");
    assert.equal(redact("key real-secret-value"), "key ********");
  } finally {
    clearSecrets();
  }
});
