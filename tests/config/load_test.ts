import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/load.ts";
import { ConfigError } from "../../lib/config/errors.ts";
import { getPath, schemaEntries } from "../../lib/config/schema.ts";
import { SCHEMA } from "../../lib/config/config_schema.ts";

function tempHome(files: Record<string, string> = {}): string {
  const home = Deno.makeTempDirSync({ prefix: "clearml-home-" });
  for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(join(home, name), text);
  return home;
}

function load(files: Record<string, string>, env: Record<string, string> = {}, configFile?: string) {
  const home = tempHome(files);
  try {
    return loadConfig({ env: { HOME: home, ...env }, home, hostname: "testhost", configFile });
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

Deno.test("loadConfig() returns the packaged defaults when no file or variable is set", () => {
  const c = load({});
  assert.equal(c.typed.agent.package_manager.type, "pip");
  assert.equal(c.typed.agent.venvs_cache.max_entries, 10);
  assert.equal(c.typed.api.http.retries.total, 240);
  assert.equal(c.typed.agent.worker_name, "testhost");
  assert.equal(c.typed.agent.task_ping_interval_sec, 60);
  assert.deepEqual(c.files, []);
});

Deno.test("loadConfig() lets ~/clearml.conf win over ~/trains.conf and both over defaults", () => {
  const c = load({
    "trains.conf": "agent { worker_name: legacy, venvs_dir: /legacy }\napi.api_server: http://legacy:8008",
    "clearml.conf": "agent.worker_name: modern",
  });
  assert.equal(c.typed.agent.worker_name, "modern");
  assert.equal(c.typed.agent.venvs_dir, "/legacy");
  assert.equal(c.typed.api.api_server, "http://legacy:8008");
  assert.equal(c.files.length, 2);
  assert.match(c.configFile ?? "", /trains\.conf$/);
});

Deno.test("loadConfig() reads only --config-file when it is given", () => {
  const home = tempHome({ "clearml.conf": "agent.worker_name: home" });
  const explicit = join(home, "other.conf");
  Deno.writeTextFileSync(explicit, "agent.venvs_dir: /explicit");
  try {
    const c = loadConfig({ env: { HOME: home }, home, configFile: explicit, hostname: "h" });
    assert.equal(c.typed.agent.venvs_dir, "/explicit");
    assert.equal(c.typed.agent.worker_name, "h");
    assert.deepEqual(c.files, [explicit]);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("loadConfig() reads only CLEARML_CONFIG_FILE when it is set", () => {
  const home = tempHome({ "clearml.conf": "agent.worker_name: home" });
  const explicit = join(home, "env.conf");
  Deno.writeTextFileSync(explicit, "agent.venvs_dir: /from-env-file");
  try {
    const c = loadConfig({ env: { HOME: home, CLEARML_CONFIG_FILE: explicit }, home, hostname: "h" });
    assert.equal(c.typed.agent.venvs_dir, "/from-env-file");
    assert.equal(c.typed.agent.worker_name, "h");
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("loadConfig() fails with one line naming a missing --config-file", () => {
  assert.throws(() => load({}, {}, "/nonexistent/clearml.conf"), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /"\/nonexistent\/clearml\.conf"/);
    assert.equal(err.message.split("\n").length, 1);
    return true;
  });
});

Deno.test("loadConfig() applies CLEARML_AGENT__SECTION__KEY over files, parsed as HOCON", () => {
  const c = load({ "clearml.conf": "agent { docker_force_pull: false, venvs_cache.max_entries: 3 }" }, {
    CLEARML_AGENT__AGENT__DOCKER_FORCE_PULL: "true",
    CLEARML_AGENT__AGENT__VENVS_CACHE__MAX_ENTRIES: "7",
    CLEARML_AGENT__AGENT__EXTRA_DOCKER_ARGUMENTS: '["--ipc=host", "--shm-size=8g"]',
  });
  assert.equal(c.typed.agent.docker_force_pull, true);
  assert.equal(c.typed.agent.venvs_cache.max_entries, 7);
  assert.deepEqual(c.typed.agent.extra_docker_arguments, ["--ipc=host", "--shm-size=8g"]);
  assert.equal(c.sources.get("agent.docker_force_pull"), "$CLEARML_AGENT__AGENT__DOCKER_FORCE_PULL");
});

Deno.test("loadConfig() lets mapped variables win over CLEARML_AGENT__ overrides and files", () => {
  const c = load({ "clearml.conf": "agent.worker_id: file" }, {
    CLEARML_AGENT__AGENT__WORKER_ID: "generic",
    CLEARML_WORKER_ID: "mapped",
  });
  assert.equal(c.typed.agent.worker_id, "mapped");
});

/** Every variable of the reference's §3.1 table (plus the list) with the key it sets and a sample value. */
const MAPPED: [string, string, string, unknown][] = [
  ["CLEARML_API_HOST", "api.api_server", "http://env-api:8008", "http://env-api:8008"],
  ["TRAINS_API_HOST", "api.api_server", "http://trains-api:8008", "http://trains-api:8008"],
  ["CLEARML_FILES_HOST", "api.files_server", "http://files:8081", "http://files:8081"],
  ["TRAINS_FILES_HOST", "api.files_server", "http://tfiles:8081", "http://tfiles:8081"],
  ["CLEARML_WEB_HOST", "api.web_server", "http://web:8080", "http://web:8080"],
  ["TRAINS_WEB_HOST", "api.web_server", "http://tweb:8080", "http://tweb:8080"],
  ["CLEARML_API_ACCESS_KEY", "api.credentials.access_key", "AKEY123456", "AKEY123456"],
  ["TRAINS_API_ACCESS_KEY", "api.credentials.access_key", "TKEY123456", "TKEY123456"],
  ["CLEARML_API_SECRET_KEY", "api.credentials.secret_key", "SECRET1234", "SECRET1234"],
  ["TRAINS_API_SECRET_KEY", "api.credentials.secret_key", "TSECRET123", "TSECRET123"],
  ["CLEARML_WORKER_NAME", "agent.worker_name", "box1", "box1"],
  ["TRAINS_WORKER_NAME", "agent.worker_name", "box2", "box2"],
  ["CLEARML_WORKER_ID", "agent.worker_id", "box1:gpu0", "box1:gpu0"],
  ["TRAINS_WORKER_ID", "agent.worker_id", "box2:gpu0", "box2:gpu0"],
  ["CLEARML_CUDA_VERSION", "agent.cuda_version", "12.1", "12.1"],
  ["TRAINS_CUDA_VERSION", "agent.cuda_version", "11.8", "11.8"],
  ["CUDA_VERSION", "agent.cuda_version", "11.7", "11.7"],
  ["CLEARML_CUDNN_VERSION", "agent.cudnn_version", "8.9", "8.9"],
  ["TRAINS_CUDNN_VERSION", "agent.cudnn_version", "8.8", "8.8"],
  ["CUDNN_VERSION", "agent.cudnn_version", "8.7", "8.7"],
  ["CLEARML_CPU_ONLY", "agent.cpu_only", "yes", true],
  ["TRAINS_CPU_ONLY", "agent.cpu_only", "1", true],
  ["CPU_ONLY", "agent.cpu_only", "off", false],
  ["CLEAMRL_AGENT_CRASH_ON_EXCEPTION", "agent.crash_on_exception", "true", true],
  ["AWS_ACCESS_KEY_ID", "sdk.aws.s3.key", "AKIAEXAMPLE", "AKIAEXAMPLE"],
  ["AWS_SECRET_ACCESS_KEY", "sdk.aws.s3.secret", "awssecret", "awssecret"],
  ["AWS_DEFAULT_REGION", "sdk.aws.s3.region", "eu-west-1", "eu-west-1"],
  ["GOOGLE_APPLICATION_CREDENTIALS", "sdk.google.storage.credentials_json", "/k.json", "/k.json"],
  ["CLEARML_AGENT_GIT_USER", "agent.git_user", "gituser", "gituser"],
  ["CLEARML_AGENT_GIT_PASS", "agent.git_pass", "gitpass123", "gitpass123"],
  ["CLEARML_AGENT_GIT_HOST", "agent.git_host", "github.com", "github.com"],
  ["CLEARML_DOCKER_IMAGE", "agent.default_docker.image", "python:3.11", "python:3.11"],
  ["CLEARML_AGENT_VENV_CACHE_PATH", "agent.venvs_cache.path", "/cache/venvs", "/cache/venvs"],
  ["CLEARML_AGENT_EXTRA_DOCKER_ARGS", "agent.extra_docker_arguments", "--ipc=host '-e A=b c'", [
    "--ipc=host",
    "-e A=b c",
  ]],
  ["CLEARML_EXTRA_PIP_INSTALL_FLAGS", "agent.package_manager.extra_pip_install_flags", "--no-cache-dir -q", [
    "--no-cache-dir",
    "-q",
  ]],
  ["CLEARML_API_HOST_VERIFY_CERT", "api.verify_certificate", "false", false],
  ["CLEARML_API_DEFAULT_REQ_METHOD", "api.http.default_method", "post", "post"],
];

for (const [variable, path, value, expected] of MAPPED) {
  Deno.test(`loadConfig() maps ${variable} to ${path} over the configuration file`, () => {
    const fileValue = typeof expected === "boolean" ? String(!expected) : '"from-file"';
    const file = path.startsWith("agent.extra_docker") || path.endsWith("extra_pip_install_flags")
      ? `${path}: ["from-file"]`
      : `${path}: ${fileValue}`;
    const c = load({ "clearml.conf": file }, { [variable]: value });
    assert.deepEqual(getPath(c.typed, path), expected);
    assert.equal(c.sources.get(path), `$${variable}`);
  });
}

Deno.test("loadConfig() prefers the CLEARML_ name over the TRAINS_ name and skips empty values", () => {
  assert.equal(load({}, { CLEARML_WORKER_NAME: "c", TRAINS_WORKER_NAME: "t" }).typed.agent.worker_name, "c");
  assert.equal(load({}, { CLEARML_WORKER_NAME: "", TRAINS_WORKER_NAME: "t" }).typed.agent.worker_name, "t");
});

Deno.test("loadConfig() appends AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY to the Azure containers", () => {
  const c = load({}, { AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_KEY: "azkey" });
  assert.deepEqual(getPath(c.tree, "sdk.azure.storage.containers"), [{ account_name: "acct", account_key: "azkey" }]);
});

Deno.test("every schema variable overrides its key", () => {
  for (const { path, key } of schemaEntries(SCHEMA)) {
    for (const variable of key.options.env ?? []) {
      const sample = key.kind === "boolean"
        ? "true"
        : key.kind === "integer" || key.kind === "number"
        ? "42"
        : "sample-value";
      const c = load({}, { [variable]: sample });
      const got = getPath(c.typed, path);
      const want = key.kind === "boolean"
        ? true
        : key.kind === "integer" || key.kind === "number"
        ? 42
        : key.kind === "strings"
        ? ["sample-value"]
        : "sample-value";
      assert.deepEqual(got, want, `${variable} → ${path}`);
    }
  }
});

Deno.test("loadConfig() reports a wrongly typed value with the key and the file", () => {
  assert.throws(() => load({ "clearml.conf": "agent.venvs_cache.max_entries: ten" }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /agent\.venvs_cache\.max_entries/);
    assert.match(err.message, /clearml\.conf/);
    assert.match(err.message, /"ten"/);
    return true;
  });
});

Deno.test("loadConfig() reports a bad boolean variable with the variable's name", () => {
  assert.throws(() => load({}, { CLEARML_CPU_ONLY: "maybe" }), /CLEARML_CPU_ONLY/);
});

Deno.test("loadConfig() strips a trailing slash from the API server and copies it to api.host", () => {
  const c = load({ "clearml.conf": 'api { api_server: "http://srv:8008/" }' });
  assert.equal(c.typed.api.api_server, "http://srv:8008");
  assert.equal(c.typed.api.host, "http://srv:8008");
});

Deno.test("loadConfig() falls back to api.host when api.api_server is missing", () => {
  const c = load({ "clearml.conf": 'api.host: "http://legacy-host:8008"' });
  assert.equal(c.typed.api.api_server, "http://legacy-host:8008");
});

Deno.test("loadConfig() reads CLEARML_CONFIG_PATH folders under their file names", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(join(dir, "agent.conf"), "venvs_dir: /from-config-path");
  try {
    const c = load({}, { CLEARML_CONFIG_PATH: dir });
    assert.equal(c.typed.agent.venvs_dir, "/from-config-path");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
