/**
 * The idle polling interval of a real `clearml-agent daemon` against a server without long poll (what every real
 * ClearML server is): `agent.polling_interval` in `clearml.conf` sets it, `--polling-interval` overrides it.
 * Counted on the wire by a recording proxy: over a few seconds, a 1 s interval makes several rounds, a 30 s one
 * makes only the round at start.
 */
import assert from "node:assert/strict";
import { startDaemonEnv } from "../helpers/daemon_env.ts";
import { startTestServer } from "../helpers/server.ts";
import { startRecordingProxy } from "../worker/_recording_proxy.ts";

/** Worker ids do not depend on the GPUs of the machine running the tests. */
const NO_GPUS = { NVIDIA_VISIBLE_DEVICES: "", CUDA_VISIBLE_DEVICES: "" };
const WINDOW_MS = 4_500;

Deno.test("daemon polls every agent.polling_interval on a server without long poll; --polling-interval overrides it", async () => {
  const server = await startTestServer({ longPoll: false });
  const proxy = await startRecordingProxy(server.url, /^queues\.get_next_task$/);
  const env = await startDaemonEnv({ url: proxy.url, agent: { polling_interval: 1, status_report_s: 30 } });
  try {
    await env.queue("interval");
    const rounds = async (args: string[]) => {
      const d = env.daemon(["--queue", "interval", "--foreground", ...args], NO_GPUS);
      await d.waitFor(/Listening to queues/);
      const from = proxy.records.length;
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const polls = proxy.records.length - from;
      assert.equal(await d.stop(), 0);
      return polls;
    };
    const fromConfig = await rounds([]);
    assert.ok(fromConfig >= 3, `agent.polling_interval 1: ${fromConfig} polls in ${WINDOW_MS} ms`);
    const fromFlag = await rounds(["--polling-interval", "30"]);
    assert.ok(fromFlag <= 1, `--polling-interval 30 overrides the config: ${fromFlag} polls in ${WINDOW_MS} ms`);
  } finally {
    await env.close();
    await proxy.close();
    await server.close();
  }
});
