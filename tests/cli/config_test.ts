import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { fixture } from "../helpers/fixtures.ts";

/** Secret values placed in the test configuration: none may appear in any masked output. */
const SECRETS = {
  accessKey: "EGRTCO8JMSIGI6S39GTP43NFWXDQOW", // the documentation sample's real-looking key
  secretKey: "x!XTov_G-#vspE*Y(h$Anm&DIc5Ou-F)jsl$PdOyj5wG1&E!Z8",
  gitPass: "ghp_gitTokenValue1234567890",
  awsKey: "AKIAIOSFODNN7EXAMPLE",
  awsSecret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  azureKey: "azureAccountKeyValue==",
  indexPassword: "indexPassw0rd",
  dockerSecret: "dockerEnvSecret123",
  envSecret: "hf_environmentToken987",
};

function configText(): string {
  const sample = Deno.readTextFileSync(fixture("clearml-conf", "agent-docs-clearml.conf"));
  return sample + `
agent.git_user: "builder"
agent.git_pass: "${SECRETS.gitPass}"
agent.package_manager.extra_index_url: ["https://builder:${SECRETS.indexPassword}@pypi.example.com/simple"]
agent.extra_docker_arguments: ["-e", "CLEARML_API_SECRET_KEY=${SECRETS.dockerSecret}", "--ipc=host"]
sdk.aws.s3 { key: "${SECRETS.awsKey}", secret: "${SECRETS.awsSecret}" }
sdk.azure.storage.containers: [{ account_name: "acct", account_key: "${SECRETS.azureKey}" }]
environment { HF_TOKEN: "${SECRETS.envSecret}" }
`;
}

async function withConfig(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "clearml-config-cli-" });
  const path = join(dir, "clearml.conf");
  await Deno.writeTextFile(path, configText());
  try {
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ENV = { HOME: "/nonexistent-home", CLEARML_WORKER_NAME: "" };

Deno.test("config prints the effective configuration with no secret from the file", async () => {
  await withConfig(async (path) => {
    const r = await runCli(["--config-file", path, "config"], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Current configuration \(clearml_agent v[\d.]+, location: .*clearml\.conf\):/);
    assert.match(r.stdout, /api\.api_server = https:\/\/demoapi\.demo\.clear\.ml/);
    assert.match(r.stdout, /agent\.git_user = builder/);
    assert.match(r.stdout, /agent\.package_manager\.extra_index_url\.0 = https:\/\/builder:\*+@pypi\.example\.com/);
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!r.stdout.includes(value), `${name} leaked`);
  });
});

Deno.test("config --json prints the same configuration as JSON, masked", async () => {
  await withConfig(async (path) => {
    const r = await runCli(["config", "--json", "--config-file", path], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    const tree = JSON.parse(r.stdout);
    assert.equal(tree.api.api_server, "https://demoapi.demo.clear.ml");
    assert.equal(tree.agent.package_manager.type, "pip");
    assert.equal(tree.api.credentials.secret_key, "****");
    assert.equal(tree.api.credentials.access_key, "****");
    assert.equal(tree.environment.HF_TOKEN, "****");
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!r.stdout.includes(value), `${name} leaked`);
  });
});

Deno.test("config --json --show-secrets prints the secrets", async () => {
  await withConfig(async (path) => {
    const r = await runCli(["config", "--json", "--show-secrets", "--config-file", path], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    const tree = JSON.parse(r.stdout);
    assert.equal(tree.api.credentials.secret_key, SECRETS.secretKey);
    assert.equal(tree.agent.git_pass, SECRETS.gitPass);
  });
});

Deno.test("config masks a secret given through a variable", async () => {
  const r = await runCli(["config", "--json"], {
    env: { ...ENV, CLEARML_API_SECRET_KEY: "variableSecret42", CLEARML_AGENT_GIT_PASS: "variableGitPass42" },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes("variableSecret42"));
  assert.ok(!r.stdout.includes("variableGitPass42"));
});

Deno.test("config fails with one line naming a missing --config-file", async () => {
  const r = await runCli(["config", "--config-file", "/nonexistent/clearml.conf"], { env: ENV });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /"\/nonexistent\/clearml\.conf"/);
  assert.doesNotMatch(r.stderr, /\bat \w+ \(/, "no stack trace without --debug");
});

Deno.test("config fails with file:line:col for a syntax error", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "broken.conf");
  await Deno.writeTextFile(path, 'api {\n  api_server: http://x\n\nagent {\n  worker_id: ""\n');
  try {
    const r = await runCli(["config", "--config-file", path], { env: ENV });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /broken\.conf:\d+:\d+: expected/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config reports a wrongly typed value with the key and the file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "typed.conf");
  await Deno.writeTextFile(path, "agent.venvs_cache.max_entries: many\n");
  try {
    const r = await runCli(["config", "--config-file", path], { env: ENV });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /agent\.venvs_cache\.max_entries.*typed\.conf.*"many"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config without a configuration file says so in plain words, and that no server is set", async () => {
  const home = await Deno.makeTempDir({ prefix: "clearml-config-empty-" });
  try {
    const r = await runCli(["config"], { clearEnv: true, env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    const [first, second, header] = r.stdout.split("\n");
    assert.equal(
      first,
      `No configuration file found (looked for "${join(home, "clearml.conf")}" and "${
        join(home, "trains.conf")
      }"): built-in defaults and CLEARML_* variables only`,
    );
    assert.equal(second, "No server configured (api.api_server): run `clearml-agent init` or set CLEARML_API_HOST");
    assert.match(header, /^Current configuration \(clearml_agent v[\d.]+, location: None\):$/);
    const withServer = await runCli(["config"], {
      clearEnv: true,
      env: { HOME: home, CLEARML_API_HOST: "http://127.0.0.1:8008" },
    });
    assert.match(withServer.stdout, /^No configuration file found .*\nCurrent configuration/);
    assert.match(withServer.stdout, /\napi\.api_server = http:\/\/127\.0\.0\.1:8008\n/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("config masks only secrets: numbers and the sanitize patterns show, values print as written", async () => {
  await withConfig(async (path) => {
    const r = await runCli(["--config-file", path, "config"], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\napi\.auth\.token_expiration_threshold_sec = \d+\n/);
    assert.match(r.stdout, /\nagent\.sanitize_config_printout\.hide_secrets\.\d+ = secret\n/);
    assert.match(r.stdout, /\nagent\.sanitize_config_printout\.dont_hide_secrets\.0 = \^enable_git_ask_pass\$\n/);
    assert.match(r.stdout, /\nagent\.package_manager\.pip_version\.\d+ = [^\n]*python_version >= '3\.1\d'/);
    assert.match(r.stdout, /\nagent\.extra_docker_arguments\.2 = --ipc=host\n/);
    assert.doesNotMatch(r.stdout, /\\[=!#]/, "no properties escapes");
    assert.doesNotMatch(r.stdout, /^No configuration file/);
    assert.match(r.stdout, /\napi\.credentials\.secret_key = \*{4}\n/);
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!r.stdout.includes(value), `${name} leaked`);
  });
});
