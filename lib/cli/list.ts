/**
 * `clearml-agent list`: the workers the server knows (`workers.get_all {last_seen: 0}`), printed as the
 * reference prints them (agent-reference §1.7, §12.3): the response's data `{"workers": [...]}` as block-style
 * YAML with sorted keys and PyYAML's quoting (YAML 1.1: `'yes'`, `'123'`, ISO dates quoted). `--json` prints
 * the same object as JSON.
 *
 * @module
 */

import { stringify } from "yaml";
import type { GlobalOptions, ListOptions } from "./args_types.ts";
import { openSession } from "./_api_session.ts";
import { printJson, printOut } from "./_print.ts";
import { getWorkers } from "../api/workers.ts";

/** `data` as PyYAML's `safe_dump(data, default_flow_style=False, sort_keys=True)` writes it. */
export function workersYaml(data: unknown): string {
  return stringify(data, { indent: 2, indentSeq: false, sortMapEntries: true, version: "1.1", singleQuote: true });
}

/** Run `list`; resolves to the exit code. */
export async function runListCommand(global: GlobalOptions, options: ListOptions): Promise<number> {
  const { client } = openSession(global);
  const data = { workers: await getWorkers(client, 0) };
  if (options.json) await printJson(data);
  else await printOut(workersYaml(data));
  return 0;
}
