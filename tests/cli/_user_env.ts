/**
 * A server and a configuration for the user-tool CLI tests: the embedded server in this process (random port,
 * temp folder), a clearml.conf pointing at it with the agent's caches in the temp folder, and `cli()` to run
 * `clearml-agent` from source with that configuration.
 *
 * @module
 */

import { join } from "node:path";
import { ApiClient } from "../../lib/api/client.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { startTestServer, TEST_ACCESS_KEY, TEST_SECRET_KEY, type TestServer } from "../helpers/server.ts";

/** A running environment. */
export interface UserEnv {
  dir: string;
  srv: TestServer;
  configFile: string;
  /** Environment of agent processes (the configuration file, the tools folder). */
  env: Record<string, string>;
  /** Our API client, logged in as the test admin. */
  api: ApiClient;
  /** Run `clearml-agent <args>` with the test configuration. */
  cli(args: string[], options?: { stdin?: string; cwd?: string }): Promise<CliResult>;
  close(): Promise<void>;
}

/** Start the server and write the configuration. */
export async function startUserEnv(): Promise<UserEnv> {
  const dir = await Deno.makeTempDir({ prefix: "clearml_usertools_" });
  const srv = await startTestServer();
  const config = {
    api: { api_server: srv.url, credentials: { access_key: TEST_ACCESS_KEY, secret_key: TEST_SECRET_KEY } },
    agent: {
      worker_id: "usertools-worker",
      vcs_cache: { path: join(dir, "vcs") },
      venvs_dir: join(dir, "venvs"),
      venvs_cache: { path: join(dir, "venvs-cache") },
      package_manager: { type: "uv" },
    },
  };
  const configFile = join(dir, "clearml.conf");
  await Deno.writeTextFile(configFile, JSON.stringify(config, null, 2));
  const env = {
    CLEARML_CONFIG_FILE: configFile,
    CLEARML_AGENT_TOOLS_DIR: Deno.env.get("CLEARML_AGENT_TOOLS_DIR") ??
      join(Deno.env.get("HOME") ?? "/root", ".clearml", "tools"),
  };
  return {
    dir,
    srv,
    configFile,
    env,
    api: new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY }),
    cli: (args, options = {}) => runCli(args, { env, ...options }),
    async close() {
      await srv.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The one line a failed command printed (asserting it is one line). */
export function errorLine(res: CliResult): string {
  const lines = res.stderr.trim().split("\n").filter((l) => !l.startsWith("Warning: "));
  if (lines.length !== 1) throw new Error(`expected one error line, got:\n${res.stderr}`);
  return lines[0];
}

/** The error line of a command that may print progress before failing: the only error line, and the last line. */
export function finalErrorLine(res: CliResult): string {
  const lines = res.stderr.trim().split("\n");
  const errors = lines.filter((l) => l.startsWith("clearml-agent: error: "));
  if (errors.length !== 1 || lines.at(-1) !== errors[0]) {
    throw new Error(`expected one final error line:\n${res.stderr}`);
  }
  return errors[0];
}
