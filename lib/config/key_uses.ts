/**
 * What every configuration key does in this agent: the file that consumes it, or why it is accepted (for
 * `clearml.conf` compatibility with the reference agent) without effect. `tests/config/key_uses_test.ts` walks
 * the typed schema and fails on a key missing here, on a consumer file that does not read the key, and on an
 * entry for a key the schema does not have; `clearml-agent config` marks the keys without effect.
 *
 * The `sdk` section is the SDK's: the agent hands its configuration to the task (`lib/setup/task_env.ts`), where
 * the clearml SDK reads it; the agent itself reads only the storage keys named below.
 *
 * @module
 */

/** A key's use: read by `consumer` (a repository file), read by the task's SDK, or accepted without effect. */
export type KeyUse = { consumer: string } | { sdk: true } | { noEffect: string };

const use = (consumer: string): KeyUse => ({ consumer });
const none = (reason: string): KeyUse => ({ noEffect: reason });

const RETRIES = "the agent's API calls use named retry policies (lib/api/retry_policy.ts); the task's SDK reads it";
const UNBUILT = (what: string) => `${what} is not built in this agent`;
const CONDA =
  "conda is not built in this agent: no conda client installs from its registries (docs/python_environments.md)";

/** Uses by dotted key path. */
export const KEY_USES: Readonly<Record<string, KeyUse>> = {
  "api.api_server": use("lib/cli/_agent_setup.ts"),
  "api.host": use("lib/config/load.ts"),
  "api.web_server": none("the agent serves no web links; the task's SDK reads it"),
  "api.files_server": none("the agent uploads no files; the task's SDK reads it"),
  "api.credentials.access_key": use("lib/cli/_agent_setup.ts"),
  "api.credentials.secret_key": use("lib/cli/_agent_setup.ts"),
  "api.version": none("legacy key, unused by the reference too"),
  "api.default_version": none("legacy key, unused by the reference too"),
  "api.verify_certificate": use("lib/cli/_agent_setup.ts"),
  "api.http.max_req_size": none("the agent sends no batch uploads; the task's SDK reads it"),
  "api.http.retries.total": none(RETRIES),
  "api.http.retries.connect": none(RETRIES),
  "api.http.retries.read": none(RETRIES),
  "api.http.retries.redirect": none(RETRIES),
  "api.http.retries.status": none(RETRIES),
  "api.http.retries.backoff_factor": none(RETRIES),
  "api.http.retries.backoff_max": none(RETRIES),
  "api.http.wait_on_maintenance_forever": none(RETRIES),
  "api.http.pool_maxsize": none("Deno's fetch pools connections itself"),
  "api.http.pool_connections": none("Deno's fetch pools connections itself"),
  "api.http.default_method": use("lib/cli/_agent_setup.ts"),
  "api.auth.token_expiration_threshold_sec": use("lib/cli/_agent_setup.ts"),
  "api.auth.request_token_expiration_sec": use("lib/cli/_agent_setup.ts"),

  "agent.worker_id": use("lib/cli/daemon.ts"),
  "agent.worker_name": use("lib/worker/worker_identity.ts"),
  "agent.debug": none("use the --debug option"),
  "agent.git_user": use("lib/setup/code/code_setup.ts"),
  "agent.git_pass": use("lib/setup/code/code_setup.ts"),
  "agent.git_host": use("lib/setup/code/code_setup.ts"),
  "agent.force_git_ssh_protocol": use("lib/setup/code/code_setup.ts"),
  "agent.force_git_ssh_port": use("lib/setup/code/code_setup.ts"),
  "agent.force_git_ssh_user": use("lib/setup/code/code_setup.ts"),
  "agent.translate_ssh": use("lib/setup/code/code_setup.ts"),
  "agent.enable_git_ask_pass": use("lib/setup/code/code_setup.ts"),
  "agent.vcs_cache.enabled": use("lib/setup/code/code_setup.ts"),
  "agent.vcs_cache.path": use("lib/setup/code/code_setup.ts"),
  "agent.vcs_cache.clone_on_pull_fail": use("lib/setup/code/vcs_cache.ts"),
  "agent.force_git_root_python_path": use("lib/setup/execute.ts"),
  "agent.python_binary": use("lib/setup/python/python_env.ts"),
  "agent.default_python": use("lib/setup/python/python_env.ts"),
  "agent.ignore_requested_python_version": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.type": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.pip_version": none("venvs keep the pip their interpreter ships (uv venvs have none)"),
  "agent.package_manager.system_site_packages": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.force_upgrade": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.extra_index_url": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.extra_pip_install_flags": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.pip_legacy_resolver": none("pip is not upgraded or downgraded, so no legacy resolver"),
  "agent.package_manager.pytorch_resolve": use("lib/setup/python/pytorch_index.ts"),
  "agent.package_manager.conda_channels": none(CONDA),
  "agent.package_manager.conda_full_env_update": none(CONDA),
  "agent.package_manager.conda_env_as_base_docker": none(CONDA),
  "agent.package_manager.use_conda_base_env": none(CONDA),
  "agent.package_manager.force_repo_requirements_txt": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.force_original_requirements": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.priority_packages": use("lib/setup/python/install_plan.ts"),
  "agent.package_manager.priority_optional_packages": use("lib/setup/python/install_plan.ts"),
  "agent.package_manager.post_packages": use("lib/setup/python/install_plan.ts"),
  "agent.package_manager.post_optional_packages": use("lib/setup/python/install_plan.ts"),
  "agent.package_manager.torch_nightly": use("lib/setup/python/pytorch_index.ts"),
  "agent.package_manager.extra_index_url_template": use("lib/setup/python/pytorch_index.ts"),
  "agent.package_manager.nightly_extra_index_url_template": use("lib/setup/python/pytorch_index.ts"),
  "agent.package_manager.poetry_version": use("lib/setup/python/lock_project.ts"),
  "agent.package_manager.poetry_install_extra_args": use("lib/setup/python/lock_project.ts"),
  "agent.package_manager.poetry_files_from_repo_working_dir": use("lib/setup/python/lock_project.ts"),
  "agent.package_manager.uv_version": use("lib/setup/python/python_env.ts"),
  "agent.package_manager.uv_sync_extra_args": use("lib/setup/python/lock_project.ts"),
  "agent.package_manager.uv_files_from_repo_working_dir": use("lib/setup/python/lock_project.ts"),
  "agent.venvs_dir": use("lib/setup/python/python_env.ts"),
  "agent.venvs_cache.path": use("lib/setup/python/python_env.ts"),
  "agent.venvs_cache.max_entries": use("lib/setup/python/python_env.ts"),
  "agent.venvs_cache.free_space_threshold_gb": use("lib/setup/python/python_env.ts"),
  "agent.venvs_cache.lock_timeout": none(
    "entries are renamed in whole (lib/setup/python/venv_cache.ts): no lock to wait for",
  ),
  "agent.venv_update.enabled": none("deprecated in the reference"),
  "agent.venv_update.url": none("deprecated in the reference"),
  "agent.pip_download_cache.enabled": use("executors/docker/mounts.ts"),
  "agent.pip_download_cache.path": use("executors/docker/mounts.ts"),
  "agent.custom_build_script": none(UNBUILT("a custom environment build script")),
  "agent.enable_task_env": none(UNBUILT("applying the task's Environment hyperparameters")),
  "agent.cuda_version": use("lib/cli/execute.ts"),
  "agent.cudnn_version": none("nothing the agent installs depends on the CuDNN version"),
  "agent.cpu_only": use("lib/setup/python/pytorch_index.ts"),
  "agent.reload_config": none(UNBUILT("reloading the configuration between polls")),
  "agent.uptime": use("lib/cli/daemon.ts"),
  "agent.downtime": use("lib/cli/daemon.ts"),
  "agent.task_ping_interval_sec": use("lib/job/runner.ts"),
  "agent.abort_callback_max_timeout": use("lib/worker/daemon.ts"),
  "agent.abort_grace_s": use("lib/job/runner.ts"),
  "agent.status_report_s": use("lib/worker/daemon.ts"),
  "agent.queue_long_poll_s": use("lib/worker/daemon.ts"),
  "agent.polling_interval": use("lib/cli/daemon.ts"),
  "agent.state_dir": use("lib/worker/daemon.ts"),
  "agent.crash_on_exception": none("daemon loop errors are logged and retried; nothing is re-raised"),
  "agent.suppress_carriage_return": use("lib/cli/execute.ts"),
  "agent.truncate_task_output_files": none("task output is streamed from pipes, not read back from files"),
  "agent.log_files_buffering": none("task output is streamed from pipes, not read back from files"),
  "agent.resource_monitoring.default_gpu_utilization": use("lib/worker/daemon.ts"),
  "agent.resource_monitoring.disk_use_path": use("lib/worker/daemon.ts"),
  "agent.resource_monitoring.cluster_report_interval_sec": none("an Enterprise dashboard setting"),
  "agent.apply_environment": use("lib/config/config_sections.ts"),
  "agent.apply_files": use("lib/config/config_sections.ts"),
  "agent.sanitize_config_printout.hide_secrets": use("lib/cli/config.ts"),
  "agent.sanitize_config_printout.hide_secrets_recursive": use("lib/cli/config.ts"),
  "agent.sanitize_config_printout.dont_hide_secrets": use("lib/cli/config.ts"),
  "agent.sanitize_config_printout.docker_commands": use("lib/cli/config.ts"),
  "agent.sanitize_config_printout.urls": use("lib/cli/config.ts"),
  "agent.default_docker.image": use("lib/cli/_docker_setup.ts"),
  "agent.default_docker.arguments": use("lib/cli/_docker_setup.ts"),
  "agent.default_docker.match_rules": none(UNBUILT("choosing the image by match rules")),
  "agent.docker_force_pull": use("executors/docker/task_container.ts"),
  "agent.extra_docker_arguments": use("executors/docker/container_parts.ts"),
  "agent.forbidden_docker_args": use("executors/docker/container_parts.ts"),
  "agent.extra_docker_shell_script": use("executors/docker/task_container.ts"),
  "agent.docker_init_bash_script": use("executors/docker/task_container.ts"),
  "agent.docker_preprocess_bash_script": use("executors/docker/task_container.ts"),
  "agent.docker_install_opencv_libs": use("executors/docker/task_container.ts"),
  "agent.docker_allow_host_environ": use("executors/docker/container_parts.ts"),
  "agent.docker_args_extra_precedes_task": use("executors/docker/container_parts.ts"),
  "agent.protected_docker_extra_args": use("executors/docker/container_parts.ts"),
  "agent.docker_args_filters": use("executors/docker/container_parts.ts"),
  "agent.docker_use_activated_venv": none("the task's venv interpreter is always run by path"),
  "agent.disable_task_docker_override": use("executors/docker/image_select.ts"),
  "agent.docker_pip_cache": use("executors/docker/mounts.ts"),
  "agent.docker_apt_cache": use("executors/docker/mounts.ts"),
  "agent.docker_poetry_cache": use("executors/docker/mounts.ts"),
  "agent.docker_uv_cache": use("executors/docker/mounts.ts"),
  "agent.disable_ssh_mount": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.sdk_cache": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.apt_cache": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.ssh_folder": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.ssh_ro_folder": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.pip_cache": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.poetry_cache": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.vcs_cache": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.venvs_cache": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.venv_build": use("executors/docker/files.ts"),
  "agent.docker_internal_mounts.pip_download": use("executors/docker/mounts.ts"),
  "agent.docker_internal_mounts.uv_cache": use("executors/docker/mounts.ts"),
  "agent.docker_container_name_format": use("executors/docker/task_container.ts"),
  "agent.docker_container_name_format_fields": none(UNBUILT("task fields in container names beyond the format")),
  "agent.hide_docker_command_env_vars.enabled": use("executors/docker/container_parts.ts"),
  "agent.hide_docker_command_env_vars.extra_keys": use("executors/docker/container_parts.ts"),
  "agent.hide_docker_command_env_vars.parse_embedded_urls": none(UNBUILT("masking passwords inside URL values")),

  "sdk.storage.cache.default_base_dir": use("executors/docker/mounts.ts"),
};

/** Sections whose keys are the task SDK's (consumed there, not by the agent). */
const SDK_PREFIX = "sdk.";

/** The use of the key at `path`, or undefined when it is not accounted for. */
export function keyUse(path: string): KeyUse | undefined {
  return KEY_USES[path] ?? (path.startsWith(SDK_PREFIX) ? { sdk: true } : undefined);
}

/** Why the key at `path` has no effect here, or undefined when it has one. */
export function noEffectReason(path: string): string | undefined {
  const found = keyUse(path);
  return found && "noEffect" in found ? found.noEffect : undefined;
}
