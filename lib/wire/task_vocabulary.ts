/**
 * The task vocabulary of the ClearML wire protocol, shared by the agent (API client, `task` verbs) and the embedded
 * server, so that both speak the same words: the task statuses (server-api §4.2.2) and the task types
 * (§4.2.1). A leaf: it imports nothing.
 *
 * @module
 */

/** Task statuses (§4.2.2). */
export const TASK_STATUSES = [
  "created",
  "queued",
  "in_progress",
  "stopped",
  "published",
  "publishing",
  "closed",
  "failed",
  "completed",
  "unknown",
] as const;

/** A task status. */
export type TaskStatus = typeof TASK_STATUSES[number];

/** Task types a user may give a task (§4.2.1). */
export const TASK_TYPES = [
  "training",
  "testing",
  "inference",
  "data_processing",
  "application",
  "monitor",
  "controller",
  "optimizer",
  "service",
  "qc",
  "custom",
] as const;

/** Every task type the server stores: the user's, plus the internal `report`. */
export const STORED_TASK_TYPES = [...TASK_TYPES, "report"] as const;
