/**
 * The `agent` section of the configuration schema (reference §2.4, §3). `packaged` values equal the reference's
 * packaged `agent.conf`; `fallback` values are what its code uses when a key is absent. Keys marked `extension`
 * are ours.
 *
 * @module
 */

import { any, bool, int, list, num, str } from "./schema.ts";
import { AGENT_DOCKER_SCHEMA } from "./schema_agent_docker.ts";

const PIP_VERSION = [
  "<20.2 ; python_version < '3.10'",
  "<22.3 ; python_version >= '3.10' and python_version <= '3.11'",
  ">=23,<24.3 ; python_version >= '3.12'",
];

/** `agent.package_manager.*` keys. */
const PACKAGE_MANAGER = {
  type: str("Package manager: pip, uv, conda, poetry (none: the image's interpreter, no installs)", {
    packaged: "pip",
  }),
  pip_version: any("pip requirement(s) installed into each venv", { packaged: PIP_VERSION }),
  system_site_packages: bool("Create venvs with --system-site-packages", { packaged: false }),
  force_upgrade: bool("Add --upgrade to pip installs", { packaged: false }),
  extra_index_url: any("Extra package indexes (list or string)"),
  extra_pip_install_flags: list("Extra flags for pip install", { env: ["CLEARML_EXTRA_PIP_INSTALL_FLAGS"] }),
  pip_legacy_resolver: list("pip versions that get --use-deprecated=legacy-resolver", {
    packaged: [">=20.3,<24.3"],
  }),
  pytorch_resolve: str("PyTorch resolution: pip, direct, none", {
    fallback: "pip",
    env: ["CLEARML_AGENT_PACKAGE_PYTORCH_RESOLVE"],
  }),
  conda_channels: list("conda channels", { packaged: ["pytorch", "conda-forge", "nvidia", "defaults"] }),
  conda_full_env_update: bool("Write the frozen conda env back to the task", { fallback: false }),
  conda_env_as_base_docker: bool("Use a pre-built conda env", { fallback: false }),
  use_conda_base_env: bool("Install into the conda base env", { fallback: false, env: ["CLEARML_USE_CONDA_BASE_ENV"] }),
  force_repo_requirements_txt: bool("Ignore the task's packages; use the repo's requirements.txt", {
    fallback: false,
  }),
  force_original_requirements: bool("Use org_pip instead of the frozen pip list", { fallback: false }),
  priority_packages: list("Installed one by one before the rest", {
    fallback: ["cython", "numpy", "setuptools", "pip", "uv"],
  }),
  priority_optional_packages: list("Like priority_packages; failures ignored", { packaged: ["pygobject"] }),
  post_packages: list("Installed after everything else", { fallback: ["horovod"] }),
  post_optional_packages: list("Like post_packages; failures ignored", { fallback: [] }),
  torch_nightly: bool("Allow nightly torch in direct resolve", { packaged: false }),
  extra_index_url_template: str("Torch index template", { fallback: "https://download.pytorch.org/whl/cu{}/" }),
  nightly_extra_index_url_template: str("Torch nightly index template", {
    fallback: "https://download.pytorch.org/whl/nightly/cu{}/",
  }),
  poetry_version: str("Poetry pip spec"),
  poetry_install_extra_args: list("Extra args of poetry install"),
  poetry_files_from_repo_working_dir: bool("Look for poetry files in the working dir", { packaged: false }),
  uv_version: str("uv pip spec"),
  uv_sync_extra_args: list("Extra args of uv sync"),
  uv_files_from_repo_working_dir: bool("Look for uv files in the working dir", { packaged: false }),
} as const;

/** `agent.*` keys. */
export const AGENT_SCHEMA = {
  worker_id: str("Full worker id", { packaged: "", env: ["CLEARML_WORKER_ID", "TRAINS_WORKER_ID"] }),
  worker_name: str("Worker name prefix (default: the host name)", {
    packaged: "",
    env: ["CLEARML_WORKER_NAME", "TRAINS_WORKER_NAME"],
  }),
  debug: bool("Debug mode", { fallback: false }),
  git_user: str("git user for HTTPS repositories", {
    env: ["CLEARML_AGENT_GIT_USER", "TRAINS_AGENT_GIT_USER"],
  }),
  git_pass: str("git password or token", { env: ["CLEARML_AGENT_GIT_PASS", "TRAINS_AGENT_GIT_PASS"], secret: true }),
  git_host: str("Only send git credentials to this host", {
    env: ["CLEARML_AGENT_GIT_HOST", "TRAINS_AGENT_GIT_HOST"],
  }),
  force_git_ssh_protocol: bool("Rewrite https:// repositories to ssh://", { packaged: false }),
  force_git_ssh_port: int("Port of rewritten ssh URLs"),
  force_git_ssh_user: str("User of rewritten ssh URLs", { fallback: "git" }),
  translate_ssh: bool("Rewrite ssh URLs to https when git credentials exist", { packaged: true }),
  enable_git_ask_pass: bool("Pass git credentials through GIT_ASKPASS", { fallback: true }),
  vcs_cache: {
    enabled: bool("Keep a local mirror of each repository", { packaged: true }),
    path: str("Repository mirror folder", { packaged: "~/.clearml/vcs-cache" }),
    clone_on_pull_fail: bool("Re-clone when fetching the mirror fails", { fallback: false }),
  },
  force_git_root_python_path: bool("Put the repository root on PYTHONPATH", { fallback: false }),
  python_binary: str("Interpreter or version to use", { packaged: "" }),
  default_python: str("Fallback Python version", { fallback: "" }),
  ignore_requested_python_version: bool("Ignore the task's Python version", { fallback: false }),
  package_manager: PACKAGE_MANAGER,
  venvs_dir: str("Where venvs are built", { packaged: "~/.clearml/venvs-builds" }),
  venvs_cache: {
    path: str("Venv cache folder (empty disables)", {
      packaged: "~/.clearml/venvs-cache",
      env: ["CLEARML_AGENT_VENV_CACHE_PATH"],
    }),
    max_entries: int("Most cached venvs", { packaged: 10 }),
    free_space_threshold_gb: num("Least free disk (GB) to keep adding entries", { packaged: 2.0 }),
    lock_timeout: int("Cache lock timeout (seconds)", { fallback: 30 }),
  },
  venv_update: {
    enabled: bool("Deprecated venv-update accelerator", { packaged: false }),
    url: str("venv-update URL"),
  },
  pip_download_cache: {
    enabled: bool("Cache wheels of direct-URL requirements", { packaged: true }),
    path: str("Download cache folder", { packaged: "~/.clearml/pip-download-cache" }),
  },
  custom_build_script: str("Script replacing the environment build", {
    packaged: "",
    env: ["CLEARML_AGENT_CUSTOM_BUILD_SCRIPT"],
  }),
  enable_task_env: bool("Apply the task's Environment hyperparameters as env vars", { packaged: false }),
  cuda_version: str("CUDA version (auto-detected)", {
    env: ["CLEARML_CUDA_VERSION", "TRAINS_CUDA_VERSION", "CUDA_VERSION"],
  }),
  cudnn_version: str("CuDNN version (auto-detected)", {
    env: ["CLEARML_CUDNN_VERSION", "TRAINS_CUDNN_VERSION", "CUDNN_VERSION"],
  }),
  cpu_only: bool("Disable requirement substitution handlers", {
    env: ["CLEARML_CPU_ONLY", "TRAINS_CPU_ONLY", "CPU_ONLY"],
  }),
  reload_config: bool("Reload the configuration after each polling round", { packaged: false }),
  uptime: list('Working hours, e.g. "17-20 MON-FRI"'),
  downtime: list("Non-working hours"),
  task_ping_interval_sec: int("tasks.ping interval while a task runs (0 disables)", { fallback: 60 }),
  abort_callback_max_timeout: int("Longest wait for a task's abort callback (seconds)", { packaged: 1800 }),
  abort_grace_s: num("Seconds between the first signal (SIGINT, then SIGTERM) and SIGKILL when a task is aborted", {
    fallback: 10,
    extension: true,
  }),
  status_report_s: num("Seconds between worker status reports", { fallback: 30, extension: true }),
  polling_interval: num(
    "Seconds between queue polling rounds when idle on a server without long poll (at least 1, default 5); `--polling-interval` overrides it",
    { extension: true },
  ),
  queue_long_poll_s: num(
    "Seconds one queue long poll may wait on a server that offers it (0: short polls only); a graceful stop waits for it",
    { fallback: 5, extension: true },
  ),
  state_dir: str("Daemon state: per-worker crash-recovery records and on-disk task log spools", {
    fallback: "~/.clearml/agent",
    env: ["CLEARML_AGENT_STATE_DIR"],
    extension: true,
  }),
  crash_on_exception: bool("Re-raise daemon loop exceptions", { env: ["CLEAMRL_AGENT_CRASH_ON_EXCEPTION"] }),
  suppress_carriage_return: bool("Collapse \\r progress updates to their last state", { fallback: true }),
  truncate_task_output_files: bool("Truncate the task output file after each read", { fallback: false }),
  log_files_buffering: int("Daemon log file buffering", { fallback: 1 }),
  resource_monitoring: {
    default_gpu_utilization: num("GPU utilization reported when unknown (MIG)", { fallback: 100 }),
    disk_use_path: str("Path whose free disk is reported (default: home)"),
    cluster_report_interval_sec: int("Enterprise dashboard interval", { fallback: 60 }),
  },
  apply_environment: bool("Apply the top-level environment {} section", {
    packaged: true,
    env: ["CLEARML_AGENT_ENABLE_ENV_CONFIG_SECTION"],
  }),
  apply_files: bool("Materialize the top-level files {} section", {
    packaged: true,
    env: ["CLEARML_AGENT_ENABLE_FILES_CONFIG_SECTION"],
  }),
  sanitize_config_printout: {
    hide_secrets: list("Key patterns whose values are masked", {
      packaged: ["^sanitize_config_printout$", "secret", "pass", "token", "account_key", "contents"],
    }),
    hide_secrets_recursive: list("Key patterns whose whole subtree is masked", { packaged: ["^environment$"] }),
    dont_hide_secrets: list("Key patterns never masked", { packaged: ["^enable_git_ask_pass$"] }),
    docker_commands: list("Keys holding docker arguments to sanitize", { packaged: ["^extra_docker_arguments$"] }),
    urls: list("Keys holding URLs whose passwords are masked", { packaged: ["^extra_index_url$"] }),
  },
  ...AGENT_DOCKER_SCHEMA,
} as const;
