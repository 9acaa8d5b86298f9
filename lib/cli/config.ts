/**
 * `clearml-agent config`: print the effective configuration with every secret masked (`--json` for scripts,
 * `--show-secrets` to unmask). Never contacts the server.
 *
 * @module
 */

import { join } from "node:path";
import type { ConfigOptions, GlobalOptions } from "./args_types.ts";
import { loadConfig } from "../config/load.ts";
import { maskTree } from "../config/mask.ts";
import { configPrintout } from "../config/printout.ts";
import { registerConfigSecrets } from "../config/secrets.ts";

/** Run `config`; resolves to the exit code. */
export function runConfigCommand(global: GlobalOptions, options: ConfigOptions): Promise<number> {
  const loaded = loadConfig({ configFile: global.configFile });
  const s = loaded.typed.agent.sanitize_config_printout;
  if (!options.showSecrets) registerConfigSecrets(loaded);
  const tree = options.showSecrets ? loaded.tree : maskTree(loaded.tree, {
    hideSecrets: s.hide_secrets,
    hideSecretsRecursive: s.hide_secrets_recursive,
    dontHideSecrets: s.dont_hide_secrets,
    dockerCommands: s.docker_commands,
    urls: s.urls,
    dockerExtraKeys: loaded.typed.agent.hide_docker_command_env_vars.extra_keys,
  });
  const home = Deno.env.get("HOME") ?? "~";
  const missing = {
    lookedFor: [join(home, "clearml.conf"), join(home, "trains.conf")],
    hasServer: Boolean(loaded.typed.api.api_server ?? loaded.typed.api.host),
  };
  const text = options.json ? JSON.stringify(tree, null, 2) + "\n" : configPrintout(tree, loaded.configFile, missing);
  return Deno.stdout.write(new TextEncoder().encode(text)).then(() => 0);
}
