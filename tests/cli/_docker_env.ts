/**
 * A daemon test environment for docker mode: the embedded server, a config with the containers on the host network
 * (so they reach the server, git and the package index on 127.0.0.1), OpenCV libraries off (no apt in tests), the
 * caches in a private folder (the venv cache shared, as in the other daemon tests), and every container labelled
 * with this test process's label.
 *
 * @module
 */

import { join } from "node:path";
import { type DaemonEnv, type DaemonProcess, startDaemonEnv } from "../helpers/daemon_env.ts";
import { containersWith, requireEngine, TEST_IMAGE, TEST_LABEL } from "../executors/docker/_engine_env.ts";

export { TEST_IMAGE, TEST_LABEL };

/** A docker-mode environment. */
export interface DockerDaemonEnv extends DaemonEnv {
  /** Variables for agent processes in docker mode (labels, no ~/.ssh, the SDK cache in the private folder). */
  dockerEnv: Record<string, string>;
  /** Start `daemon --queue Q --foreground --docker [IMAGE]` (plus `extra` arguments). */
  dockerDaemon(queue: string, extra?: string[], env?: Record<string, string>): DaemonProcess;
  /** Create a task with any fields; resolves to its id. */
  createFull(fields: Record<string, unknown>): Promise<string>;
  /** The containers of this test process still present. */
  leftovers(): Promise<string[]>;
}

/**
 * Start an environment (`agent` keys merged over the docker defaults; `top`: top-level config sections;
 * `url`: a server already running).
 */
export async function startDockerEnv(
  agent: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
  url?: string,
): Promise<DockerDaemonEnv> {
  await requireEngine();
  const caches = await Deno.makeTempDir({ prefix: "clearml_docker_caches_" });
  const env = await startDaemonEnv({
    url,
    agent: {
      extra_docker_arguments: ["--network=host"],
      docker_install_opencv_libs: false,
      docker_pip_cache: join(caches, "pip"),
      docker_uv_cache: join(caches, "uv"),
      docker_apt_cache: join(caches, "apt"),
      pip_download_cache: { path: join(caches, "pip-download") },
      abort_grace_s: 1,
      ...agent,
    },
    top,
  });
  const close = env.close.bind(env);
  const dockerEnv = {
    CLEARML_AGENT_EXTRA_DOCKER_LABELS: TEST_LABEL,
    CLEARML_AGENT_DISABLE_SSH_MOUNT: "1",
    CLEARML_AGENT__SDK__STORAGE__CACHE__DEFAULT_BASE_DIR: JSON.stringify(join(caches, "sdk")),
  };
  return Object.assign(env, {
    dockerEnv,
    dockerDaemon(queue: string, extra: string[] = [], extraEnv: Record<string, string> = {}) {
      return env.daemon(["--queue", queue, "--foreground", "--docker", TEST_IMAGE, ...extra], {
        ...dockerEnv,
        ...extraEnv,
      });
    },
    async createFull(fields: Record<string, unknown>) {
      return (await env.client.call<{ id: string }>("tasks.create", {
        name: "docker test",
        type: "training",
        ...fields,
      }))
        .id;
    },
    async leftovers() {
      return (await containersWith(TEST_LABEL)).map((c) => c.Id);
    },
    async close() {
      await close();
      await Deno.remove(caches, { recursive: true }).catch(() => {});
    },
  });
}

/** A single-script task's `script` field. */
export function scriptTask(code: string, pip = ""): Record<string, unknown> {
  return { entry_point: "run.py", diff: code, binary: "python3", requirements: { pip } };
}

/** The task's lines after its last "Starting Task Execution:" line. */
export function taskOutput(lines: string[]): string[] {
  const at = lines.lastIndexOf("Starting Task Execution:");
  return at < 0 ? [] : lines.slice(at + 1).filter((l) => l.trim());
}
