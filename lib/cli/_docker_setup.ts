/**
 * Docker mode as `daemon --docker`, `execute --docker` and `build --docker` set it up: the engine client (pinged
 * once: an engine that is down is reported, and each task then fails with the reason while the daemon goes on),
 * the agent's image and arguments, the GPU assignment, and this agent as the containers run it.
 *
 * @module
 */

import { join } from "node:path";
import type { LoadedConfig } from "../config/load.ts";
import type { DockerMode } from "../../executors/docker/task_container.ts";
import { containerSelf } from "../../executors/docker/self_command.ts";
import { engineAddress, engineMessage, openEngine } from "../../executors/docker/engine.ts";
import { gpuAssignment } from "../../executors/docker/spec.ts";
import type { DockerOption } from "./args_types.ts";
import { envText } from "../clearml_env.ts";

/** True when this host has NVIDIA GPUs (the driver's control device, or `nvidia-smi` on PATH). */
export function hostHasNvidiaGpus(env: Record<string, string | undefined> = Deno.env.toObject()): boolean {
  const exists = (p: string) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  };
  if (exists("/dev/nvidiactl")) return true;
  return (env.PATH ?? "").split(":").some((dir) => dir && exists(join(dir, "nvidia-smi")));
}

/** Options of `dockerMode`. */
export interface DockerModeSetup {
  loaded: LoadedConfig;
  expand: (path: string) => string;
  docker: DockerOption;
  visibleDevices?: string;
  standalone: boolean;
  /** `build --force-docker`: ignore the task's container. */
  forceDocker?: boolean;
  say: (line: string) => void;
}

/** Set docker mode up; the engine is pinged and a failure reported, not thrown. */
export async function dockerMode(o: DockerModeSetup): Promise<DockerMode> {
  const config = o.loaded.typed;
  const engine = await openEngine();
  try {
    await engine.ping();
  } catch (err) {
    o.say(
      `Warning: the Docker engine at "${engineAddress()}" does not answer (${
        engineMessage(err)
      }): tasks fail until it does`,
    );
  }
  const home = Deno.env.get("HOME") ?? "/root";
  return {
    engine,
    config,
    tree: o.loaded.tree,
    expand: o.expand,
    agent: {
      cliImage: o.docker.image,
      cliArgs: o.docker.args,
      defaultImage: config.agent.default_docker.image,
      defaultArgs: config.agent.default_docker.arguments,
      force: Boolean(o.forceDocker) || config.agent.disable_task_docker_override,
    },
    gpus: gpuAssignment(o.visibleDevices),
    hostHasGpus: hostHasNvidiaGpus(),
    standalone: o.standalone,
    self: containerSelf(),
    runBase: join(o.expand(config.agent.state_dir), "containers"),
    toolsDir: envText("CLEARML_AGENT_TOOLS_DIR") ?? join(home, ".clearml", "tools"),
    hostEnv: Deno.env.toObject(),
  };
}
