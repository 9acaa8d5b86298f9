/**
 * Small package indexes for environment tests: pure-Python wheels named like real projects (`torch`, `tinypkg`)
 * built with the system Python's `zipfile`, laid out as a PEP 503 "simple" index that `serveFolder` serves, and
 * the poetry / uv tools the agent installs on demand (to write lock files the way a developer would).
 *
 * @module
 */

import { join } from "node:path";
import { VenvExecutor } from "../../executors/venv.ts";
import { findUv, installTool } from "../../lib/setup/python/installer.ts";
import { poetryDirName } from "../../lib/setup/python/lock_project.ts";

/** One wheel: `import <name>` gives `VERSION`. */
export interface WheelSpec {
  name: string;
  version: string;
}

const SCRIPT = `
import base64, hashlib, json, os, sys, zipfile
index, wheels = sys.argv[1], json.loads(sys.argv[2])
os.makedirs(os.path.join(index, "_files"), exist_ok=True)
for w in wheels:
  name, version = w["name"], w["version"]
  whl = f"{name}-{version}-py3-none-any.whl"
  info = f"{name}-{version}.dist-info"
  files = {
    f"{name}/__init__.py": f"VERSION = {version!r}\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
  }
  record = []
  with zipfile.ZipFile(os.path.join(index, "_files", whl), "w") as z:
    for path, text in files.items():
      data = text.encode()
      z.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
      digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
      record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(zipfile.ZipInfo(f"{info}/RECORD", (2020, 1, 1, 0, 0, 0)), "\\n".join(record) + "\\n")
names = sorted({f.split("-")[0] for f in os.listdir(os.path.join(index, "_files"))})
for name in names:
  os.makedirs(os.path.join(index, name), exist_ok=True)
  links = "".join(
    f'<a href="../_files/{f}">{f}</a>\\n' for f in sorted(os.listdir(os.path.join(index, "_files")))
    if f.split("-")[0] == name)
  with open(os.path.join(index, name, "index.html"), "w") as f:
    f.write(f"<html><body>{links}</body></html>")
with open(os.path.join(index, "index.html"), "w") as f:
  f.write("".join(f'<a href="{n}/">{n}</a>\\n' for n in names))
`;

/** Add wheels to the simple index in `indexDir` (created when missing); earlier wheels stay listed. */
export async function addWheels(indexDir: string, wheels: WheelSpec[]): Promise<void> {
  const out = await new Deno.Command("python3", {
    args: ["-c", SCRIPT, indexDir, JSON.stringify(wheels)],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`Cannot build test wheels: ${new TextDecoder().decode(out.stderr)}`);
}

/** The agent's tools folder in tests (`CLEARML_AGENT_TOOLS_DIR`, else `~/.clearml/tools`). */
export function testToolsDir(): string {
  return Deno.env.get("CLEARML_AGENT_TOOLS_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".clearml", "tools");
}

async function realPython(): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: ["-c", "import sys; print(sys.executable)"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** The command running `tool` from the tools folder, installed there on demand as the agent does. */
export async function toolCommand(tool: "uv" | "poetry"): Promise<string[]> {
  const toolsDir = testToolsDir();
  const options = {
    type: tool,
    executor: new VenvExecutor(),
    toolsDir,
    systemPython: await realPython(),
    say: () => {},
  };
  if (tool === "uv") {
    if (!findUv(toolsDir)) await installTool(options, { name: "uv", venv: false });
    return [findUv(toolsDir)!];
  }
  // The same copy the agent uses for tasks on this interpreter.
  const dirName = poetryDirName(undefined, options.systemPython);
  const python = join(toolsDir, dirName, "bin", "python");
  const present = await Deno.stat(python).then(() => true, () => false);
  if (!present) await installTool(options, { name: "poetry", venv: true, dirName });
  return [python, "-m", "poetry"];
}

/** Run a tool command in `cwd`; throws with its output on failure. */
export async function runTool(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${argv.join(" ")} failed: ${text}`);
  return text;
}

/** A `pyproject.toml` whose uv and poetry sources are only `index`; `extra` goes after `[project]`. */
export function pyproject(index: string, deps: string[], extra = "", name = "demo"): string {
  return [
    "[project]",
    `name = "${name}"`,
    'version = "0.1.0"',
    'requires-python = ">=3.8"',
    `dependencies = [${deps.map((d) => JSON.stringify(d)).join(", ")}]`,
    extra,
    "[[tool.uv.index]]",
    `url = "${index}"`,
    "default = true",
    "",
    "[[tool.poetry.source]]",
    'name = "local"',
    `url = "${index}"`,
    'priority = "primary"',
    "",
  ].join("\n");
}
