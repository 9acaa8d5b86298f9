/**
 * `clearml-agent build --id T [--target DIR]`: the task's environment (code and venv) built into a folder
 * without running the task (`lib/job/build_env.ts`); then the reference's summary: the frozen packages, the
 * venv, the code and the entry point. Without `--target` the folder is `<agent.venvs_dir>/task_<id>`.
 * `--docker` (an image that runs the task) waits for docker mode: `not implemented yet: build --docker`.
 *
 * @module
 */

import { join, resolve } from "node:path";
import type { BuildOptions, GlobalOptions } from "./args_types.ts";
import { NotImplementedError } from "./errors.ts";
import { openSession } from "./_api_session.ts";
import { note, printOut } from "./_print.ts";
import { SetupError } from "../../executors/executor.ts";
import { VenvExecutor } from "../../executors/venv.ts";
import { buildTaskEnv, checkTarget } from "../job/build_env.ts";
import { resolveTaskId } from "../task/resolve.ts";

function expander(home: string): (path: string) => string {
  return (path) => {
    const vars = path.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => Deno.env.get(a ?? b) ?? m);
    return vars === "~" ? home : vars.startsWith("~/") ? join(home, vars.slice(2)) : vars;
  };
}

/** Run `build`; resolves to the exit code. */
export async function runBuildCommand(global: GlobalOptions, options: BuildOptions): Promise<number> {
  if (options.docker) throw new NotImplementedError("build --docker");
  const { config, client } = openSession(global);
  const home = Deno.env.get("HOME") ?? "/root";
  const expand = expander(home);
  const taskId = await resolveTaskId(client, options.id);
  const target = resolve(options.target ?? join(expand(config.agent.venvs_dir), `task_${taskId}`));
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
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
      toolsDir: Deno.env.get("CLEARML_AGENT_TOOLS_DIR") || join(home, ".clearml", "tools"),
      signal: controller.signal,
    });
    const entry = built.entryPoint.startsWith("-") ? built.entryPoint : join(built.cwd, built.entryPoint);
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
  } catch (err) {
    if (err instanceof SetupError) throw new Error(`Cannot build task "${taskId}": ${err.message}`);
    throw err;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}
