/**
 * The entity shapes the server stores, the single-tenant company, and the `Db` handle that groups the document
 * tables. Documents keep the upstream field names byte-for-byte; top-level keys starting with `_` are internal
 * bookkeeping and never returned.
 *
 * @module
 */

import { DocTable } from "./doc_table.ts";
import type { Doc } from "../json.ts";
import type { Store } from "./store.ts";
import { STORED_TASK_TYPES as TASK_TYPES, TASK_STATUSES, type TaskStatus } from "../../wire/task_vocabulary.ts";

export { TASK_STATUSES, TASK_TYPES };
export type { TaskStatus };

/** The one company of this single-tenant server (upstream's default company id). */
export const COMPANY_ID = "d1bd92a3b039400cbafc60a7a5b1e52b";
/** Its display name. */
export const COMPANY_NAME = "clearml";

/** Who is calling (the JWT `identity` claim). */
export interface Identity {
  user: string;
  company: string;
  role: string;
  user_name: string;
  company_name: string;
}

/** A hyperparameter item. */
export interface ParamItem extends Doc {
  section?: string;
  name: string;
  value?: string;
  type?: string;
  description?: string;
}

/** A task document. */
export interface TaskDoc extends Doc {
  id: string;
  name: string;
  type: string;
  status: TaskStatus;
  company: string;
  user: string;
  created: string;
  status_reason?: string;
  status_message?: string;
  status_changed?: string;
  comment?: string;
  parent?: string;
  project?: string;
  started?: string;
  completed?: string;
  published?: string;
  active_duration?: number;
  last_worker?: string;
  last_worker_report?: string;
  last_update?: string;
  last_change?: string;
  last_changed_by?: string;
  last_iteration?: number;
  script?: Doc;
  container?: Doc;
  execution?: Doc;
  output?: Doc;
  models?: { input?: Doc[]; output?: Doc[] };
  hyperparams?: Record<string, Record<string, ParamItem>>;
  configuration?: Record<string, ParamItem>;
  runtime?: Doc;
  tags?: string[];
  system_tags?: string[];
  last_metrics?: Record<string, Record<string, Doc>>;
  metric_stats?: Doc;
  unique_metrics?: string[];
  enqueue_status?: string;
}

/** A queue document (entries live in `queue_entries`). */
export interface QueueDoc extends Doc {
  id: string;
  name: string;
  company: string;
  user: string;
  created: string;
  tags: string[];
  system_tags: string[];
  last_update?: string;
  display_name?: string;
  metadata?: Record<string, Doc>;
}

/** A project document. */
export interface ProjectDoc extends Doc {
  id: string;
  name: string;
  basename: string;
  company: string;
  user: string;
  created: string;
  last_update?: string;
  description?: string;
  tags: string[];
  system_tags: string[];
  default_output_destination?: string;
  parent?: string;
  path: string[];
}

/** A model document (§4.6). */
export interface ModelDoc extends Doc {
  id: string;
  name: string;
  uri: string;
  company: string;
  user: string;
  created: string;
  last_update?: string;
  ready: boolean;
  task?: string;
  project?: string;
  parent?: string;
  comment?: string;
  framework?: string;
  design?: Doc;
  labels?: Record<string, number>;
  tags: string[];
  system_tags: string[];
  metadata?: Record<string, Doc>;
  last_iteration?: number;
}

/** The document tables of one database. */
export class Db {
  readonly store: Store;
  readonly tasks: DocTable<TaskDoc>;
  readonly queues: DocTable<QueueDoc>;
  readonly projects: DocTable<ProjectDoc>;
  readonly models: DocTable<ModelDoc>;

  constructor(store: Store) {
    this.store = store;
    this.tasks = new DocTable<TaskDoc>(
      store,
      "tasks",
      (t) => ({ status: t.status, project: t.project ?? null }),
      ["status", "project"],
    );
    this.queues = new DocTable<QueueDoc>(store, "queues", (q) => ({ name: q.name }), ["name"]);
    this.projects = new DocTable<ProjectDoc>(store, "projects", (p) => ({ name: p.name }), ["name"]);
    this.models = new DocTable<ModelDoc>(store, "models", (m) => ({ task: m.task ?? null }), ["task"]);
  }
}
