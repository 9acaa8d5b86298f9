/**
 * The network of a task container when the ClearML server is on this machine's loopback (`clearml-agent server`
 * listens on 127.0.0.1). On docker's default bridge network `127.0.0.1` is the container itself, so the agent inside
 * could not reach the server: when `api.api_server` or `api.files_server` names a loopback host and neither the
 * admin's nor the task's docker arguments choose a network, the container joins the host network, where the same
 * URLs work unchanged (and so do a git server or package index on loopback). An explicit `--network` is kept as
 * given, with a warning when it hides a loopback server. Why host networking and not `host-gateway` plus rewritten
 * URLs: see docs/docker.md.
 *
 * @module
 */

import type { AgentConfig } from "../../lib/config/config_schema.ts";
import type { ArgItem } from "./args.ts";

/** True for a URL whose host is a loopback address (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`). */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host) || host === "::1" ||
    host === "0:0:0:0:0:0:0:1";
}

/** The loopback server URLs of a configuration (empty when none is on loopback). */
export function loopbackServers(config: AgentConfig): string[] {
  const urls = [config.api.api_server ?? config.api.host, config.api.files_server];
  return [...new Set(urls.filter((u): u is string => isLoopbackUrl(u)))];
}

/**
 * The merged docker arguments with `--network=host` added when a server is on loopback and no item sets a network;
 * `say` gets one line explaining the choice (or a warning when an explicit network hides a loopback server).
 */
export function withLoopbackNetwork(
  merged: readonly ArgItem[],
  config: AgentConfig,
  say: (line: string) => void,
): ArgItem[] {
  const servers = loopbackServers(config);
  if (servers.length === 0) return [...merged];
  const explicit = merged.filter((i) => i.name === "network").at(-1);
  if (explicit) {
    if (explicit.value !== "host" && !explicit.value.startsWith("container:")) {
      say(
        `Warning: the server ${servers.map((s) => `"${s}"`).join(" and ")} is on this machine's loopback and the ` +
          `docker arguments set "--network ${explicit.value}": the container may not reach it`,
      );
    }
    return [...merged];
  }
  say(
    `The server ${servers.map((s) => `"${s}"`).join(" and ")} is on this machine's loopback: the container uses ` +
      `the host network (--network=host; set a --network in agent.extra_docker_arguments to choose another)`,
  );
  return [...merged, { name: "network", tokens: ["--network=host"], flag: "--network", value: "host" }];
}
