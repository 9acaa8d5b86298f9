/**
 * Every service of the server, registered into one registry.
 *
 * @module
 */

import { Registry } from "../registry.ts";
import { registerAuth } from "./auth.ts";
import { registerEvents } from "./events.ts";
import { registerEventCharts } from "./events_charts.ts";
import { registerModels } from "./models.ts";
import { registerProjects } from "./projects.ts";
import { registerQueues } from "./queues.ts";
import { registerServerInfo } from "./server_info.ts";
import { registerTaskEdits } from "./tasks_edit.ts";
import { registerTaskParams } from "./tasks_params.ts";
import { registerTaskQueueing } from "./tasks_queue.ts";
import { registerTaskStatus } from "./tasks_status.ts";
import { registerTasks } from "./tasks.ts";
import { registerWorkers } from "./workers.ts";

/** A registry with all endpoints. */
export function createRegistry(): Registry {
  const reg = new Registry();
  registerServerInfo(reg);
  registerAuth(reg);
  registerProjects(reg);
  registerQueues(reg);
  registerWorkers(reg);
  registerTasks(reg);
  registerTaskStatus(reg);
  registerTaskQueueing(reg);
  registerTaskEdits(reg);
  registerTaskParams(reg);
  registerEvents(reg);
  registerEventCharts(reg);
  registerModels(reg);
  return reg;
}
