/**
 * Doctor checks: the Docker engine answers (`GET /_ping`), and containers can get NVIDIA GPUs (an `nvidia` runtime
 * in `GET /info`, or the NVIDIA container toolkit that `docker run --gpus` calls, on PATH).
 *
 * @module
 */

import type { CheckResult } from "./check.ts";
import { errorLine } from "./check.ts";
import { engineGet } from "./docker_api.ts";
import { findExecutable } from "./_exec.ts";

/** Inputs of `dockerCheck`. */
export interface DockerCheckInput {
  /** `DOCKER_HOST`, e.g. `unix:///var/run/docker.sock`. */
  host: string;
  /** True in docker mode. */
  required: boolean;
  timeoutMs?: number;
}

/** Ping the engine. */
export async function dockerCheck(input: DockerCheckInput): Promise<CheckResult> {
  const name = "docker";
  const { required } = input;
  try {
    const ping = await engineGet(input.host, "/_ping", input.timeoutMs);
    if (ping.status !== 200 || ping.body.trim() !== "OK") {
      return {
        name,
        ok: false,
        required,
        detail: `${input.host} answered ${ping.status} to /_ping: not a Docker engine`,
      };
    }
    let version = "";
    try {
      const v = await engineGet(input.host, "/version", input.timeoutMs);
      version = `, Docker ${JSON.parse(v.body).Version ?? "?"}`;
    } catch {
      // the version is a nicety
    }
    return { name, ok: true, required, detail: `engine at ${input.host} answers${version}` };
  } catch (err) {
    const why = required ? "" : " (only needed for --docker)";
    return { name, ok: false, required, detail: `Cannot reach the engine at ${input.host}: ${errorLine(err)}${why}` };
  }
}

/** The programs of the NVIDIA container toolkit that make `docker run --gpus` work. */
export const NVIDIA_TOOLKIT = ["nvidia-container-runtime-hook", "nvidia-container-toolkit", "nvidia-ctk"];

/** Inputs of `nvidiaRuntimeCheck`. */
export interface NvidiaRuntimeCheckInput {
  host: string;
  /** PATH to search for the toolkit. */
  path: string;
  /** True in docker mode on a machine with GPUs. */
  required: boolean;
  timeoutMs?: number;
}

/** Look for an `nvidia` runtime in the engine, then for the toolkit on PATH. */
export async function nvidiaRuntimeCheck(input: NvidiaRuntimeCheckInput): Promise<CheckResult> {
  const name = "nvidia runtime";
  const { required } = input;
  let runtimes: string[] = [];
  try {
    const info = await engineGet(input.host, "/info", input.timeoutMs);
    runtimes = Object.keys(JSON.parse(info.body).Runtimes ?? {});
  } catch {
    // no engine: the toolkit on PATH still tells
  }
  if (runtimes.includes("nvidia")) {
    return { name, ok: true, required, detail: `the engine has the "nvidia" runtime (${runtimes.join(", ")})` };
  }
  const tool = NVIDIA_TOOLKIT.map((t) => findExecutable(t, input.path)).find((p) => p !== undefined);
  if (tool) return { name, ok: true, required, detail: `NVIDIA container toolkit: ${tool}` };
  return {
    name,
    ok: false,
    required,
    detail: "no NVIDIA container toolkit (nvidia-container-toolkit, nvidia runtime): containers get no GPU",
  };
}
