/**
 * `clearml-agent build --id T [--target DIR]`: the task's environment (code and venv) built into a folder
 * without running the task (`lib/setup/build_env.ts`); then the reference's summary: the frozen packages, the
 * venv, the code and the entry point. Without `--target` the folder is `<agent.venvs_dir>/task_<id>`. Under
 * `CLEARML_AGENT_BUILD_INFO` (set by `build --docker` for the build inside the container) the result is also
 * written to that file as JSON.
 *
 * `build --docker [IMAGE [ARGS...]] [--target NAME] [--entry-point reuse_task|clone_task] [--force-docker]`: the
 * same build inside a container of the task's image, committed as image NAME (default `task_id_<id>`;
 * `executors/docker/build_image.ts`).
 *
 * @module
 */

import { join, resolve } from "node:path";
import type { BuildOptions, GlobalOptions } from "./args_types.ts";
import { openSession } from "./_api_session.ts";
import { dockerMode } from "./_docker_setup.ts";
import { note, printOut } from "./_print.ts";
import { SetupError } from "../../executors/executor.ts";
import { VenvExecutor } from "../../executors/venv.ts";
import { buildTaskEnv, checkTarget } from "../setup/build_env.ts";
import { buildTaskImage } from "../../executors/docker/build_image.ts";
import { resolveTaskId } from "../task/resolve.ts";
import { envRaw, envText } from "../clearml_env.ts";

function expander(home: string): (path: string) => string {
  return (path) => {
    const vars = path.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => Deno.env.get(a ?? b) ?? m);
    return vars === "~" ? home : vars.startsWith("~/") ? join(home, vars.slice(2)) : vars;
  };
}

/** Run one build, cancelled by SIGINT or SIGTERM; a setup failure is reported as the task's. */
async function building(taskId: string, build: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await build(controller.signal);
  } catch (err) {
    if (err instanceof SetupError) throw new Error(`Cannot build task "${taskId}": ${err.message}`);
    throw err;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

/** Run `build`; resolves to the exit code. */
export async function runBuildCommand(global: GlobalOptions, options: BuildOptions): Promise<number> {
  if (options.docker) return await buildDocker(global, options);
  const { config, client } = openSession(global);
  const home = Deno.env.get("HOME") ?? "/root";
  const expand = expander(home);
  const taskId = await resolveTaskId(client, options.id);
  const target = resolve(options.target ?? join(expand(config.agent.venvs_dir), `task_${taskId}`));
  return await building(taskId, async (signal) => {
    await checkTarget(target);
    note(`Building the environment of task id [${taskId}] in ${target}`);
    const built = await buildTaskEnv({
      client,
      taskId,
      config,
      target,
      pythonVersion: options.pythonVersion,
      installGlobally: options.installGlobally,
      executor: new VenvExecutor({ graceSec: config.agent.abort_grace_s }),
      expand,
      say: note,
      output: (chunk) => void Deno.stderr.writeSync(chunk),
      toolsDir: envText("CLEARML_AGENT_TOOLS_DIR") ?? join(home, ".clearml", "tools"),
      signal,
    });
    const entry = built.entryPoint.startsWith("-") ? built.entryPoint : join(built.cwd, built.entryPoint);
    const infoFile = envRaw("CLEARML_AGENT_BUILD_INFO");
    if (infoFile) {
      const { python, venvDir, codeRoot, cwd, entryPoint } = built;
      await Deno.writeTextFile(infoFile, JSON.stringify({ python, venvDir, codeRoot, cwd, entryPoint }) + "\n");
    }
    await printOut(
      [
        `Restoring running environment of task id [${taskId}]:`,
        ...built.frozen.map((line) => `  ${line}`),
        built.venvDir ? `Virtual environment: ${join(built.venvDir, "bin")}` : `Python: ${built.python}`,
        `Source code: ${built.codeRoot}`,
        `Entry point: ${entry}`,
        `Run it with: cd ${built.cwd} && ${built.python} -u ${built.entryPoint}`,
        "",
      ].join("\n"),
    );
    return 0;
  });
}

/** `build --docker`: the environment built in a container, committed as an image. */
async function buildDocker(global: GlobalOptions, options: BuildOptions): Promise<number> {
  const { loaded, config, client } = openSession(global);
  const home = Deno.env.get("HOME") ?? "/root";
  const taskId = await resolveTaskId(client, options.id);
  const target = options.target ?? `task_id_${taskId}`;
  return await building(taskId, async (signal) => {
    const docker = await dockerMode({
      loaded,
      expand: expander(home),
      docker: options.docker!,
      visibleDevices: "none",
      standalone: false,
      forceDocker: options.forceDocker,
      say: note,
    });
    const built = await buildTaskImage({
      docker,
      client,
      taskId,
      workerId: config.agent.worker_id || config.agent.worker_name,
      target,
      entryPoint: options.entryPoint,
      pythonVersion: options.pythonVersion,
      debug: global.debug,
      say: note,
      write: (chunk) => void Deno.stderr.writeSync(chunk),
      signal,
    });
    await printOut(`${built.image} ${built.id}\n`);
    return 0;
  });
}
