/**
 * The flags of `init`: the credentials block or each value, the target file, and whether to ask or verify.
 *
 * @module
 */

import { addConfigFile, type Subcommands } from "./args_shared.ts";

/** Declare `init` on the program. */
export function addInitCommand(s: Subcommands): void {
  const { sub, global, onParsed } = s;
  const init = addConfigFile(sub("init", "Create ~/clearml.conf interactively (or from flags)"))
    .option("--credentials <text>", "the api { ... } block from the web app or the server ('-' reads stdin)")
    .option("--access-key <key>", "API access key")
    .option("--secret-key <secret>", "API secret key")
    .option("--api-server <url>", "API server URL")
    .option("--web-server <url>", "web server URL")
    .option("--files-server <url>", "files server URL")
    .option("--git-user <user>", "git user")
    .option("--git-pass <password>", "git password or token")
    .option("--extra-index-url <urls...>", "extra pip index URLs")
    .option("--output-uri <uri>", "default output URI for the SDK")
    .option("--target <path>", "write this file instead of ~/clearml.conf")
    .option("-y, --non-interactive", "ask nothing: take every value from flags and defaults", false)
    .option("--no-verify", "do not check the credentials against the server");
  init.action(() => {
    const o = init.opts();
    onParsed({
      kind: "init",
      global: global(init),
      options: {
        credentials: o.credentials,
        accessKey: o.accessKey,
        secretKey: o.secretKey,
        apiServer: o.apiServer,
        webServer: o.webServer,
        filesServer: o.filesServer,
        gitUser: o.gitUser,
        gitPass: o.gitPass,
        extraIndexUrl: o.extraIndexUrl,
        outputUri: o.outputUri,
        target: o.target,
        nonInteractive: o.nonInteractive,
        noVerify: o.verify === false,
      },
    });
  });
}
