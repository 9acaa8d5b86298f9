/**
 * The entry script of a task container (run by `/bin/sh`; written to the run folder, so that `docker inspect`
 * shows only its path): output merged into one stream, the secret env file sourced, the `~/.ssh` copy put in
 * place, missing system packages installed when the image has apt (git; OpenCV's libraries with
 * `agent.docker_install_opencv_libs`) — never a pip install of an agent and never a removal of Python's
 * `EXTERNALLY-MANAGED` marker —, the admin's `extra_docker_shell_script` and the task's `setup_shell_script`, a
 * marker that the agent starts, and `exec` of the agent. Without apt, or in standalone mode, nothing is
 * installed. Lines run regardless of each other's failures, as in the reference.
 *
 * @module
 */

/** Quote one word for POSIX sh. */
export function shQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The libraries `docker_install_opencv_libs` asks for (Debian/Ubuntu names). */
export const OPENCV_PACKAGES = ["libsm6", "libxext6", "libxrender-dev", "libglib2.0-0"];

/** Inputs of `entryScript`. */
export interface EntryScriptOptions {
  /** The agent command line inside the container. */
  agentArgv: string[];
  /** No apt bootstrap (no network). */
  standalone: boolean;
  /** `agent.docker_install_opencv_libs`. */
  installOpencv: boolean;
  /** `agent.docker_init_bash_script`: replaces the apt bootstrap when non-empty. */
  initScript?: readonly string[];
  /** `agent.docker_preprocess_bash_script`: lines before everything else. */
  preprocessScript?: readonly string[];
  /** `agent.extra_docker_shell_script`. */
  extraScript?: readonly string[];
  /** The task's `container.setup_shell_script`. */
  setupScript?: string;
  /** Container path of the secret env file. */
  envFile?: string;
  /** Copy the read-only `~/.ssh` mount (`from`) to the user's folder (`to`, `~` allowed). */
  sshCopy?: { from: string; to: string };
  /** File touched right before the agent starts. */
  startedMarker: string;
  /** Lines that replace `exec` of the agent (`build --docker`). */
  finalLines?: readonly string[];
}

function home(path: string): string {
  return path === "~" ? '"$HOME"' : path.startsWith("~/") ? `"$HOME"/${shQuote(path.slice(2))}` : shQuote(path);
}

/** Shell lines that collect in `$clearml_need` the packages missing from the image (git; OpenCV's libraries). */
function missingPackages(installOpencv: boolean): string[] {
  return [
    "clearml_need=''",
    'command -v git >/dev/null 2>&1 || clearml_need="$clearml_need git"',
    ...(installOpencv
      ? [
        `for p in ${
          OPENCV_PACKAGES.join(" ")
        }; do dpkg -s "$p" >/dev/null 2>&1 || clearml_need="$clearml_need $p"; done`,
      ]
      : []),
  ];
}

function aptBootstrap(o: EntryScriptOptions): string[] {
  return [
    ...missingPackages(o.installOpencv),
    'if [ -n "$clearml_need" ] && command -v apt-get >/dev/null 2>&1; then',
    '  echo "Installing with apt-get:$clearml_need"',
    "  echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/docker-clean 2>/dev/null",
    "  (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends " +
    '$clearml_need >/dev/null) || echo "WARNING: apt-get install of$clearml_need failed"',
    "fi",
    "unset clearml_need",
  ];
}

/**
 * The one-time preparation of an image (`executors/docker/prepared.ts`): the entry script's package install, but
 * failing (non-zero exit) when apt fails, so that a half-prepared image is never cached. Once it ran, the entry
 * script of every task container finds nothing missing and installs nothing.
 */
export function preparationScript(installOpencv: boolean): string {
  return [
    "set -e",
    ...missingPackages(installOpencv),
    'if [ -n "$clearml_need" ] && command -v apt-get >/dev/null 2>&1; then',
    '  echo "Installing with apt-get:$clearml_need"',
    "  export DEBIAN_FRONTEND=noninteractive",
    "  apt-get update -qq",
    "  apt-get install -y -qq --no-install-recommends $clearml_need >/dev/null",
    "  rm -rf /var/lib/apt/lists/*",
    "fi",
    "",
  ].join("\n");
}

/** The script text. */
export function entryScript(o: EntryScriptOptions): string {
  const lines = ["#!/bin/sh", "# clearml-agent task container entry (generated)", "exec 2>&1"];
  if (o.envFile) lines.push(`if [ -r ${shQuote(o.envFile)} ]; then set -a; . ${shQuote(o.envFile)}; set +a; fi`);
  lines.push(...(o.preprocessScript ?? []));
  if (o.sshCopy) {
    const to = home(o.sshCopy.to);
    lines.push(
      `if [ -d ${shQuote(o.sshCopy.from)} ]; then mkdir -p ${to} && cp -a ${shQuote(o.sshCopy.from)}/. ${to}/ && ` +
        `chown -R "$(id -u):$(id -g)" ${to} 2>/dev/null; chmod 700 ${to}; fi`,
    );
  }
  if (!o.standalone) {
    const init = (o.initScript ?? []).filter((l) => l.trim() !== "");
    lines.push(...(init.length > 0 ? init : aptBootstrap(o)));
  }
  const extra = (o.extraScript ?? []).filter((l) => l.trim() !== "");
  if (extra.length > 0) lines.push("# agent.extra_docker_shell_script", ...extra);
  if (o.setupScript?.trim()) lines.push("# the task's setup_shell_script", o.setupScript.trimEnd());
  lines.push(`: > ${shQuote(o.startedMarker)}`);
  lines.push(...(o.finalLines ?? [`exec ${o.agentArgv.map(shQuote).join(" ")}`]), "");
  return lines.join("\n");
}
