import assert from "node:assert/strict";
import { finalStatusOf, type RunEnd } from "../../lib/job/final_status.ts";
import { classifyTaskState, RESET_CHECKS } from "../../lib/job/abort_watcher.ts";
import { isCompiled, selfCommand } from "../../lib/process/self_command.ts";

Deno.test("finalStatusOf() maps every way a run ends to one call and a distinct reason", () => {
  const table: [RunEnd, string | null, string, string][] = [
    [{ exitCode: 0 }, "completed", "worker execution done", "Process completed successfully"],
    [{ exitCode: 3 }, "failed", "worker execution exit code 3", "Process failed, exit code 3"],
    [{ exitCode: 254 }, "stopped", "user abort", "Process terminated by user"],
    [{ exitCode: 137, signalNumber: 9 }, "failed", "killed by signal 9", "Process killed by signal 9"],
    [{ exitCode: 143, stopCause: "user abort" }, "stopped", "user abort", "Process aborted by user"],
    [{ exitCode: 0, stopCause: "agent shutdown" }, "stopped", "agent shutdown", "Process terminated by agent shutdown"],
    [{ exitCode: 137, stopCause: "status changed" }, null, "", "Task status changed: run stopped"],
    [
      { exitCode: 1, setupFailure: "git clone failed" },
      "failed",
      "setup failure: git clone failed",
      "Process failed: setup failure: git clone failed",
    ],
    [{ exitCode: null, agentError: "boom" }, "failed", "agent error: boom", "Process failed: agent error: boom"],
    [{ exitCode: 137, signalNumber: 9, oomKilled: true }, "failed", "OOM killed", "Process failed: OOM killed"],
    [{ exitCode: 137, oomKilled: true, stopCause: "user abort" }, "stopped", "user abort", "Process aborted by user"],
    [{ exitCode: null }, "failed", "worker execution exit code 1", "Process failed, exit code 1"],
  ];
  for (const [end, call, reason, line] of table) {
    const s = finalStatusOf(end);
    assert.deepEqual([s.call, s.reason, s.logLine], [call, reason, line], JSON.stringify(end));
  }
});

Deno.test("classifyTaskState() stops on abort, status changes and a persistent reset, and keeps running otherwise", () => {
  const table: [{ status?: string; status_message?: string } | undefined, number, string | null, number][] = [
    [{ status: "in_progress", status_message: "" }, 0, null, 0],
    [{ status: "in_progress", status_message: "stopping" }, 0, "user abort", 0],
    [{ status: "in_progress", status_message: "Stopping" }, 2, "user abort", 0],
    [{ status: "stopped" }, 0, "user abort", 0],
    [{ status: "failed" }, 0, "status changed", 0],
    [{ status: "completed" }, 0, "status changed", 0],
    [{ status: "queued" }, 0, "status changed", 0],
    [{ status: "published" }, 0, "status changed", 0],
    [{ status: "created" }, 0, null, 1],
    [{ status: "created" }, RESET_CHECKS - 1, "status changed", RESET_CHECKS],
    [{ status: "created" }, 1, null, 2],
    [undefined, 0, "status changed", 0],
  ];
  for (const [task, count, cause, next] of table) {
    const r = classifyTaskState(task, count);
    assert.deepEqual([r.decision?.cause ?? null, r.createdCount], [cause, next], JSON.stringify([task, count]));
  }
});

Deno.test("selfCommand() is the binary itself when compiled, deno run with the launcher's permission set from source", () => {
  assert.equal(isCompiled("file:///tmp/deno-compile-clearml-agent/main.ts"), true);
  assert.equal(isCompiled("file:///work/repo/main.ts"), false);
  assert.deepEqual(selfCommand({ compiled: true, execPath: "/usr/bin/clearml-agent" }), ["/usr/bin/clearml-agent"]);
  assert.deepEqual(selfCommand({ compiled: false, execPath: "/x/deno", root: "/repo" }), [
    "/x/deno",
    "run",
    "-P=agent",
    "--quiet",
    "--v8-flags=--max-semi-space-size=1,--expose-gc",
    "--config",
    "/repo/deno.json",
    "/repo/main.ts",
  ]);
});
