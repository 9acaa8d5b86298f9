/**
 * The flags of `server`: where it listens and keeps its data, background and stop, and what it lets in.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { addConfigFile, integer, repeated, type Subcommands } from "./args_shared.ts";

/** Declare `server` on the program. */
export function addServerCommand(s: Subcommands): void {
  const { sub, global, onParsed } = s;
  const server = addConfigFile(sub("server", "Run the embedded ClearML-API server (SQLite)"))
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", integer("--port"), 8008)
    .option("--data-dir <dir>", "data folder (default ~/.clearml/server)")
    .option("--detached", "run in the background", false)
    .option("--stop", "stop the server running on --data-dir", false)
    .option("--insecure-open", "accept requests without credentials (local experiments only)", false)
    .option("--debug-wire", "log every request and answer, secrets masked", false)
    .option("--no-long-poll", "behave like a real ClearML server: no queue long poll (tests, benchmarks)")
    .option("--allow-origin <origin>", "a web origin allowed to call the API (repeatable)", repeated, [])
    .option("--allow-host <name>", "another Host name the server answers to (repeatable)", repeated, []);
  server.action(() => {
    const o = server.opts();
    if (o.port < 0 || o.port > 65535) throw new UsageError(`argument --port: out of range: ${o.port}`);
    onParsed({
      kind: "server",
      global: global(server),
      options: {
        host: o.host,
        port: o.port,
        dataDir: o.dataDir,
        detached: o.detached,
        stop: o.stop,
        insecureOpen: o.insecureOpen,
        allowOrigins: o.allowOrigin,
        allowHosts: o.allowHost,
        longPoll: o.longPoll !== false,
      },
    });
  });
}
