/**
 * `clearml-agent init`: write `~/clearml.conf` through the reference's setup dialogue (`lib/init/wizard.ts`), or
 * from flags with `-y` (cloud-init, CI). An existing, non-empty configuration file is never touched: the command
 * says so and prints the `agent` section to add to it. The file is written all at once with mode 0600 (aside,
 * then linked into place); on any error nothing is written.
 *
 * Target: `--target`, else `--config-file`, else `$CLEARML_CONFIG_FILE`, else `~/clearml.conf` (with
 * `~/trains.conf` also counting as an existing configuration, as in the reference).
 *
 * @module
 */

import { join } from "node:path";
import type { GlobalOptions, InitOptions } from "./args_types.ts";
import { printOut } from "./_print.ts";
import { EMBEDDED_BUILD } from "../version.ts";
import { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { registerSecret } from "../secrets/redact.ts";
import type { Credentials } from "../init/credentials.ts";
import { agentBlock, renderConf, writeNewFile } from "../init/conf_text.ts";
import { LineReader } from "../init/line_reader.ts";
import { runWizard, type VerifyResult, WizardError } from "../init/wizard.ts";
import { envText } from "../clearml_env.ts";

/** Login retries of the credentials check: a few seconds, then the server counts as unreachable. */
const VERIFY_RETRY = { name: "init", maxAttempts: 3, maxElapsedMs: 5000, baseDelayMs: 250, maxDelayMs: 1000 };

function candidates(global: GlobalOptions, options: InitOptions): { target: string; check: string[] } {
  const explicit = options.target ?? global.configFile ?? envText("CLEARML_CONFIG_FILE");
  if (explicit) return { target: explicit, check: [explicit] };
  const home = Deno.env.get("HOME") ?? "/root";
  const target = join(home, "clearml.conf");
  return { target, check: [join(home, "trains.conf"), target] };
}

function sizeOf(path: string): number | undefined {
  try {
    const st = Deno.statSync(path);
    return st.isFile ? st.size : 0;
  } catch {
    return undefined;
  }
}

async function verifyCredentials(api: string, creds: Credentials): Promise<VerifyResult> {
  const client = new ApiClient({ host: api, accessKey: creds.accessKey, secretKey: creds.secretKey });
  try {
    await client.login({ retry: VERIFY_RETRY });
    return { ok: true };
  } catch (err) {
    if (err instanceof ApiError && (err.code === 401 || err.code === 403)) {
      return { ok: false, unreachable: false, reason: err.serverMessage };
    }
    return { ok: false, unreachable: true, reason: err instanceof ApiError ? err.serverMessage : String(err) };
  }
}

/** True when `api` is clearml-agent's embedded server: its `server.info` (no credentials) names the build. */
async function isEmbeddedServer(api: string): Promise<boolean> {
  try {
    const res = await fetch(`${api.replace(/\/+$/, "")}/server.info`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      signal: AbortSignal.timeout(5_000),
    });
    const body = await res.json() as { data?: { build?: unknown } };
    return typeof body.data?.build === "string" && body.data.build.startsWith(EMBEDDED_BUILD);
  } catch {
    return false; // unreachable or not a ClearML answer: the verification step says what is wrong
  }
}

async function readAllStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** Run `init`; resolves to the exit code. */
export async function runInitCommand(global: GlobalOptions, options: InitOptions): Promise<number> {
  for (const secret of [options.secretKey, options.gitPass]) registerSecret(secret);
  const { target, check } = candidates(global, options);
  await printOut("CLEARML-AGENT setup process\n");
  const existing = check.find((path) => (sizeOf(path) ?? 0) > 0);
  if (existing) {
    await printOut(
      `Configuration file already exists: ${existing}\n` +
        "Leaving setup: the file is not changed. If the ClearML SDK was set up on this machine, add an 'agent' " +
        "section to this file, for example:\n\n" + agentBlock({}) + "\n",
    );
    return 0;
  }
  const pasted = options.credentials === "-" ? await readAllStdin() : options.credentials;
  const reader = new LineReader(Deno.stdin.readable);
  let values;
  try {
    values = await runWizard(
      {
        write: (text) => void Deno.stdout.writeSync(new TextEncoder().encode(text)),
        readLine: () => reader.readLine(),
      },
      {
        pasted,
        accessKey: options.accessKey,
        secretKey: options.secretKey,
        apiServer: options.apiServer,
        webServer: options.webServer,
        filesServer: options.filesServer,
        gitUser: options.gitUser,
        gitPass: options.gitPass,
        extraIndexUrls: options.extraIndexUrl,
        outputUri: options.outputUri,
        nonInteractive: options.nonInteractive || options.credentials === "-",
        verify: !options.noVerify,
      },
      verifyCredentials,
      isEmbeddedServer,
    );
  } finally {
    reader.release();
  }
  registerSecret(values.secretKey);
  registerSecret(values.gitPass);
  if (sizeOf(target) === 0) await Deno.remove(target);
  try {
    await writeNewFile(target, renderConf(values));
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new WizardError(`Configuration file "${target}" appeared during the setup: not changed`);
    }
    throw new Error(`Cannot write configuration file "${target}"`, { cause: err });
  }
  await printOut(`\nNew configuration stored in ${target}\nCLEARML-AGENT setup completed successfully.\n`);
  return 0;
}
