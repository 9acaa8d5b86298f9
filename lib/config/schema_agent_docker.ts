/**
 * The docker-mode keys of the `agent` section (reference §2.4 "Docker mode", §3.5, §8).
 *
 * @module
 */

import { any, bool, list, str } from "./schema.ts";

const MATCH_RULES = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12"].map((v) => ({
  arguments: "--ipc=host",
  image: `python:${v}-bullseye`,
  match: { script: { binary: `python${v}$` } },
}));

/** Docker-mode `agent.*` keys, spread into `AGENT_SCHEMA`. */
export const AGENT_DOCKER_SCHEMA = {
  default_docker: {
    image: str("Default task image", {
      packaged: "nvidia/cuda:11.0.3-cudnn8-runtime-ubuntu20.04",
      env: ["CLEARML_DOCKER_IMAGE", "TRAINS_DOCKER_IMAGE"],
    }),
    arguments: any("Default docker arguments (list or string)"),
    match_rules: any("Rules choosing an image by task properties", { packaged: MATCH_RULES }),
  },
  docker_force_pull: bool("Pull the image before each task", { packaged: false }),
  extra_docker_arguments: list("Docker arguments added to every task", {
    env: ["CLEARML_AGENT_EXTRA_DOCKER_ARGS"],
  }),
  forbidden_docker_args: list("Task docker arguments that are refused unless the admin allows them", {
    fallback: [
      "--privileged",
      "--cap-add",
      "--security-opt",
      "--device",
      "--pid",
      "--userns",
      "--entrypoint",
      "-v",
      "--volume",
      "--mount",
      "--env-file",
    ],
    extension: true,
  }),
  extra_docker_shell_script: list("Shell commands run in the container before the task"),
  docker_init_bash_script: list("Replaces the container bootstrap lines"),
  docker_preprocess_bash_script: list("Lines prepended to the container bootstrap"),
  docker_install_opencv_libs: bool("apt-install OpenCV's libraries in the container", { fallback: true }),
  docker_allow_host_environ: bool("Expand $VAR in task -e arguments from the host", { fallback: false }),
  docker_args_extra_precedes_task: bool("Admin arguments win over task arguments", { fallback: true }),
  protected_docker_extra_args: list("Switches where admin arguments override task arguments", {
    fallback: ["privileged", "security-opt", "network", "ipc"],
  }),
  docker_args_filters: list("Regex allowlist for task docker arguments", {
    env: ["CLEARML_AGENT_DOCKER_ARGS_FILTERS"],
  }),
  docker_use_activated_venv: bool("Install into an activated venv inside the container", { fallback: true }),
  disable_task_docker_override: bool("Ignore the task's image and arguments", { packaged: false }),
  docker_pip_cache: str("Host pip cache mounted into containers", { packaged: "~/.clearml/pip-cache" }),
  docker_apt_cache: str("Host apt cache mounted into containers", { packaged: "~/.clearml/apt-cache" }),
  docker_poetry_cache: str("Host poetry cache mounted into containers", { fallback: "~/.clearml/poetry-cache" }),
  docker_uv_cache: str("Host uv cache mounted into containers", { fallback: "~/.clearml/uv-cache", extension: true }),
  disable_ssh_mount: bool("Do not mount ~/.ssh into containers", {
    fallback: false,
    env: ["CLEARML_AGENT_DISABLE_SSH_MOUNT"],
  }),
  docker_internal_mounts: {
    sdk_cache: str("In-container SDK cache", { packaged: "/clearml_agent_cache" }),
    apt_cache: str("In-container apt cache", { packaged: "/var/cache/apt/archives" }),
    ssh_folder: str("In-container ~/.ssh", { packaged: "~/.ssh" }),
    ssh_ro_folder: str("In-container read-only ssh mount", { packaged: "/.ssh" }),
    pip_cache: str("In-container pip cache", { packaged: "/root/.cache/pip" }),
    poetry_cache: str("In-container poetry cache", { packaged: "/root/.cache/pypoetry" }),
    vcs_cache: str("In-container repository cache", { packaged: "/root/.clearml/vcs-cache" }),
    venvs_cache: str("In-container venv cache", { packaged: "/root/.clearml/venvs-cache" }),
    venv_build: str("In-container venv build folder", { packaged: "~/.clearml/venvs-builds" }),
    pip_download: str("In-container pip download cache", { packaged: "/root/.clearml/pip-download-cache" }),
    uv_cache: str("In-container uv cache", { fallback: "/root/.cache/uv", extension: true }),
  },
  docker_container_name_format: str("Container name template, e.g. clearml-id-{task_id}"),
  docker_container_name_format_fields: any("Custom container name fields"),
  hide_docker_command_env_vars: {
    enabled: bool("Mask secrets in printed docker commands", { packaged: true }),
    extra_keys: list("More env names to mask", { packaged: [] }),
    parse_embedded_urls: bool("Mask passwords in URLs inside docker arguments", { packaged: true }),
  },
} as const;
