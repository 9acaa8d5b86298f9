/**
 * The `sdk` section of the configuration schema. The agent itself reads only `sdk.storage.cache.default_base_dir`
 * and the storage credentials; the rest is passed through to the task's SDK in the task configuration file.
 * Packaged values equal the reference agent's packaged `sdk.conf`.
 *
 * @module
 */

import { any, bool, int, num, str } from "./schema.ts";

/** `sdk.*` keys. */
export const SDK_SCHEMA = {
  aws: {
    boto3: {
      max_multipart_concurrency: int("SDK setting aws.boto3.max_multipart_concurrency", { packaged: 16 }),
      pool_connections: int("SDK setting aws.boto3.pool_connections", { packaged: 512 }),
    },
    s3: {
      credentials: any("Per-bucket S3 credentials", { packaged: [] }),
      key: str("S3 access key", { packaged: "", env: ["AWS_ACCESS_KEY_ID"], secret: true }),
      region: str("S3 region", { packaged: "", env: ["AWS_DEFAULT_REGION"] }),
      secret: str("S3 secret key", { packaged: "", env: ["AWS_SECRET_ACCESS_KEY"], secret: true }),
    },
  },
  development: {
    default_output_uri: str("SDK setting development.default_output_uri", { packaged: "" }),
    detect_with_pip_freeze: bool("SDK setting development.detect_with_pip_freeze", { packaged: false }),
    force_analyze_entire_repo: bool("SDK setting development.force_analyze_entire_repo", { packaged: false }),
    store_uncommitted_code_diff: bool("SDK setting development.store_uncommitted_code_diff", { packaged: true }),
    support_stopping: bool("SDK setting development.support_stopping", { packaged: true }),
    suppress_update_message: bool("SDK setting development.suppress_update_message", { packaged: false }),
    task_reuse_time_window_in_hours: num("SDK setting development.task_reuse_time_window_in_hours", { packaged: 72.0 }),
    vcs_repo_detect_async: bool("SDK setting development.vcs_repo_detect_async", { packaged: true }),
    worker: {
      log_stdout: bool("SDK setting development.worker.log_stdout", { packaged: true }),
      ping_period_sec: int("SDK setting development.worker.ping_period_sec", { packaged: 30 }),
      report_global_mem_used: bool("SDK setting development.worker.report_global_mem_used", { packaged: false }),
      report_period_sec: int("SDK setting development.worker.report_period_sec", { packaged: 2 }),
    },
  },
  log: {
    disable_urllib3_info: bool("SDK setting log.disable_urllib3_info", { packaged: true }),
    null_log_propagate: bool("SDK setting log.null_log_propagate", { packaged: false }),
    task_log_buffer_capacity: int("SDK setting log.task_log_buffer_capacity", { packaged: 66 }),
  },
  metrics: {
    file_history_size: int("SDK setting metrics.file_history_size", { packaged: 100 }),
    images: {
      format: str("SDK setting metrics.images.format", { packaged: "JPEG" }),
      quality: int("SDK setting metrics.images.quality", { packaged: 87 }),
      subsampling: int("SDK setting metrics.images.subsampling", { packaged: 0 }),
    },
    matplotlib_untitled_history_size: int("SDK setting metrics.matplotlib_untitled_history_size", { packaged: 100 }),
    tensorboard_single_series_per_graph: bool("SDK setting metrics.tensorboard_single_series_per_graph", {
      packaged: false,
    }),
  },
  network: {
    iteration: {
      max_retries_on_server_error: int("SDK setting network.iteration.max_retries_on_server_error", { packaged: 5 }),
      retry_backoff_factor_sec: int("SDK setting network.iteration.retry_backoff_factor_sec", { packaged: 10 }),
    },
    metrics: {
      file_upload_starvation_warning_sec: int("SDK setting network.metrics.file_upload_starvation_warning_sec", {
        packaged: 120,
      }),
      file_upload_threads: int("SDK setting network.metrics.file_upload_threads", { packaged: 4 }),
    },
  },
  storage: {
    cache: {
      default_base_dir: str("SDK setting storage.cache.default_base_dir", { packaged: "~/.clearml/cache" }),
      size: {
        min_free_bytes: str("SDK setting storage.cache.size.min_free_bytes", { packaged: "10GB" }),
      },
    },
    direct_access: any("Storage URLs accessed in place", { packaged: [{ url: "file://*" }] }),
  },
  azure: {
    storage: {
      containers: any("Azure storage accounts ([{account_name, account_key}])"),
    },
  },
  google: {
    storage: {
      credentials_json: str("Google credentials JSON file", { env: ["GOOGLE_APPLICATION_CREDENTIALS"] }),
    },
  },
} as const;
