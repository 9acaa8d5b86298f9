/**
 * A fake release on 127.0.0.1 in the GitHub layout (`<base>/latest/download/<file>`,
 * `<base>/download/v0.1.0/<file>`): the four binaries, `SHA256SUMS` and `install.sh`, for install.sh and
 * cloud-init tests.
 *
 * @module
 */

import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";

const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"];

/** A stand-in binary: a script answering `--version` (and exiting with `exitCode`). */
export function fakeBinary(target: string, exitCode = 0): string {
  return `#!/bin/sh\necho "CLEARML-AGENT version 0.1.0 (${target})"\nexit ${exitCode}\n`;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The release files: one binary per target (or `overrides`), their `SHA256SUMS`, and the real install.sh. */
export async function releaseFiles(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const t of TARGETS) files[`clearml-agent-${t}`] = fakeBinary(t);
  Object.assign(files, overrides);
  const sums: string[] = [];
  for (const t of TARGETS) {
    const name = `clearml-agent-${t}`;
    if (name in files) sums.push(`${await sha256(files[name])}  ${name}\n`);
  }
  files.SHA256SUMS ??= sums.join("");
  files["install.sh"] ??= Deno.readTextFileSync(join(ROOT, "scripts", "install.sh"));
  return files;
}

/** A running fake release. */
export interface Release {
  /** The releases URL (`CLEARML_AGENT_BASE_URL`). */
  base: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serve `files` as release v0.1.0 (also "latest"). */
export function serveRelease(files: Record<string, string>): Release {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    const m = path.match(/^\/releases\/(?:latest\/download|download\/v0\.1\.0)\/([^/]+)$/);
    const body = m ? files[m[1]] : undefined;
    return body === undefined ? new Response("Not Found", { status: 404 }) : new Response(body);
  });
  return {
    base: `http://127.0.0.1:${server.addr.port}/releases`,
    requests,
    close: () => server.shutdown(),
  };
}
