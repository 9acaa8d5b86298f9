/**
 * The README's "run it" command (`npx deno task demo`): runs the main job on the embedded defaults.
 * Until the server and daemon exist it shows `clearml-agent --help`.
 *
 * @module
 */

import { agentCommand } from "../tests/helpers/cli.ts";

const out = await new Deno.Command(Deno.execPath(), { args: agentCommand(["--help"]) }).output();
await Deno.stdout.write(out.stdout);
await Deno.stderr.write(out.stderr);
Deno.exit(out.code);
