import assert from "node:assert/strict";
import { parseArgs } from "../../lib/cli/args.ts";
import { UsageError } from "../../lib/cli/errors.ts";
import type { ParsedCommand } from "../../lib/cli/args_types.ts";

function parse(line: string): ParsedCommand {
  return parseArgs(line.split(" ").filter((w) => w !== ""));
}

function daemon(line: string) {
  const cmd = parse(`daemon ${line}`);
  assert.equal(cmd.kind, "daemon");
  return cmd.kind === "daemon" ? cmd : assert.fail();
}

Deno.test("parseArgs() reads --queue as a list in priority order", () => {
  assert.deepEqual(daemon("--queue gpu cpu default").options.queues, ["gpu", "cpu", "default"]);
  assert.deepEqual(daemon("").options.queues, []);
});

Deno.test("parseArgs() reads --docker with no value, an image, and an image with arguments", () => {
  assert.deepEqual(daemon("--docker").options.docker, { args: [] });
  assert.deepEqual(daemon("--docker python:3.11").options.docker, { image: "python:3.11", args: [] });
  assert.deepEqual(
    parseArgs(["daemon", "--docker", "img --ipc=host --shm-size=1g"]).kind === "daemon" &&
      (parseArgs(["daemon", "--docker", "img --ipc=host --shm-size=1g"]) as { options: { docker: unknown } }).options
        .docker,
    { image: "img", args: ["--ipc=host", "--shm-size=1g"] },
  );
  assert.equal(daemon("--queue q").options.docker, undefined);
});

Deno.test("parseArgs() reads --services-mode with and without N", () => {
  assert.equal(daemon("--services-mode").options.servicesMode, -1);
  assert.equal(daemon("--services-mode 3").options.servicesMode, 3);
  assert.equal(daemon("").options.servicesMode, undefined);
});

Deno.test("parseArgs() reads --stop with and without worker ids", () => {
  assert.deepEqual(daemon("--stop").options.stop, []);
  assert.deepEqual(daemon("--stop host:0 host:1").options.stop, ["host:0", "host:1"]);
  assert.equal(daemon("").options.stop, undefined);
});

Deno.test("parseArgs() treats -d before the subcommand as --debug and after daemon as --detached", () => {
  const cmd = daemon("-d");
  assert.equal(cmd.options.detached, true);
  assert.equal(cmd.global.debug, false);
  const both = parse("-d daemon -d");
  assert.ok(both.kind === "daemon" && both.global.debug && both.options.detached);
});

Deno.test("parseArgs() counts -O flags", () => {
  assert.equal(daemon("-O").options.optimization, 1);
  assert.equal(daemon("-OO").options.optimization, 2);
  assert.equal(daemon("").options.optimization, 0);
});

Deno.test("parseArgs() accepts --config-file before and after the subcommand", () => {
  const a = parse("--config-file /a.conf config");
  const b = parse("config --config-file /b.conf --json");
  assert.ok(a.kind === "config" && a.global.configFile === "/a.conf");
  assert.ok(b.kind === "config" && b.global.configFile === "/b.conf" && b.options.json);
});

Deno.test("parseArgs() parses --dynamic-gpus queue sizes", () => {
  const cmd = daemon("--dynamic-gpus --gpus 0-7 --queue quad=4 dual=2 opportunistic=1-4");
  assert.deepEqual(cmd.options.dynamicQueues, [
    { queue: "quad", min: 4, max: 4 },
    { queue: "dual", min: 2, max: 2 },
    { queue: "opportunistic", min: 1, max: 4 },
  ]);
  assert.deepEqual(cmd.options.queues, ["quad", "dual", "opportunistic"]);
});

Deno.test("parseArgs() joins --uptime words into spans", () => {
  assert.deepEqual(daemon("--uptime 17-20 MON-FRI 9 SAT").options.uptime, ["17-20 MON-FRI", "9 SAT"]);
  const quoted = parseArgs(["daemon", "--downtime", "0-8 SUN,SAT"]);
  assert.ok(quoted.kind === "daemon");
  assert.deepEqual(quoted.options.downtime, ["0-8 SUN,SAT"]);
});

Deno.test("parseArgs() reads execute and build options", () => {
  const e = parse("execute --id abc --full-monitoring --require-queue --gpus 0,1 -O");
  assert.ok(e.kind === "execute");
  assert.equal(e.options.id, "abc");
  assert.equal(e.options.fullMonitoring, true);
  assert.equal(e.options.gpus, "0,1");
  const b = parse("build --id abc --docker python:3.11 --target img --entry-point clone_task");
  assert.ok(b.kind === "build");
  assert.equal(b.options.entryPoint, "clone_task");
  assert.deepEqual(b.options.docker, { image: "python:3.11", args: [] });
});

Deno.test("parseArgs() reads server options with defaults", () => {
  const s = parse("server");
  assert.ok(s.kind === "server");
  assert.deepEqual({ host: s.options.host, port: s.options.port, detached: s.options.detached }, {
    host: "127.0.0.1",
    port: 8008,
    detached: false,
  });
  const t = parse("server --port 9000 --data-dir /tmp/x --insecure-open");
  assert.ok(t.kind === "server" && t.options.port === 9000 && t.options.dataDir === "/tmp/x" && t.options.insecureOpen);
  const o = parse("server --allow-origin https://a.example --allow-origin http://b:1 --allow-host clearml.lan");
  assert.ok(o.kind === "server");
  assert.deepEqual(o.options.allowOrigins, ["https://a.example", "http://b:1"]);
  assert.deepEqual(o.options.allowHosts, ["clearml.lan"]);
  assert.ok(s.options.allowOrigins.length === 0 && s.options.allowHosts.length === 0);
  assert.ok(s.options.longPoll);
  const plain = parse("server --no-long-poll");
  assert.ok(plain.kind === "server" && plain.options.longPoll === false);
});

Deno.test("parseArgs() passes task verbs and their arguments through", () => {
  const t = parseArgs(["task", "create", "--name", "x", "--args", "lr=0.1"]);
  assert.ok(t.kind === "task");
  assert.equal(t.options.verb, "create");
  assert.deepEqual(t.options.args, ["--name", "x", "--args", "lr=0.1"]);
});

Deno.test("parseArgs() answers help and version requests", () => {
  assert.equal(parse("-h").kind, "help");
  const full = parse("--help");
  assert.ok(full.kind === "help" && full.detailed);
  assert.equal(parse("--version").kind, "version");
  assert.equal(parse("").kind, "help");
  const sub = parse("daemon --help");
  assert.ok(sub.kind === "help" && sub.text.includes("--services-mode"));
});

/** Command lines that must fail with a usage error, and a word the message must contain. */
const BAD: [string, RegExp][] = [
  ["daemon --bogus", /--bogus/],
  ["fly", /fly/],
  ["execute", /--id/],
  ["daemon --gpus 0-x", /--gpus/],
  ["daemon --gpus 3-1", /start is after end/],
  ["daemon --gpus 0 --cpu-only", /--cpu-only/],
  ["daemon --services-mode 0", /--services-mode/],
  ["daemon --services-mode x", /invalid int value/],
  ["daemon --services-mode --dynamic-gpus --gpus 0-1 --queue a=1", /--dynamic-gpus/],
  ["daemon --dynamic-gpus --queue a=1", /requires --gpus/],
  ["daemon --dynamic-gpus --gpus 0-3 --queue a", /needs a GPU count/],
  ["daemon --dynamic-gpus --gpus 0-3 --queue a=0", /above 0/],
  ["daemon --dynamic-gpus --gpus 0-3 --queue a=1.5", /whole number/],
  ["daemon --dynamic-gpus --gpus 0-3 --queue a=0.5", /need --docker/],
  ["daemon --dynamic-gpus --gpus 0-3,5 --queue a=1", /mixes ranges and lists/],
  ["daemon --dynamic-gpus --gpus 0-1 --queue quad=4", /"quad" needs 4 GPUs but --gpus "0-1" lists 2/],
  ["daemon --uptime 17-20 MON --downtime 1-2 TUE", /--downtime/],
  ["daemon --uptime 25-26 MON", /invalid hour "25"/],
  ["daemon --uptime 17-20 FUNDAY", /invalid day "FUNDAY"/],
  ["daemon --uptime", /at least one span/],
  ["daemon --drain", /--stop/],
  ["daemon --polling-interval soon", /invalid int value/],
  ["execute --id x --full-monitoring --disable-monitoring", /--full-monitoring/],
  ["build --id x --entry-point reuse_task", /--docker/],
  ["build --id x --entry-point bogus", /bogus/],
  ["build --id x --python-version three", /--python-version/],
  ["execute --id x --log-level LOUD", /--log-level/],
  ["server --port 70000", /--port/],
];

for (const [line, message] of BAD) {
  Deno.test(`parseArgs() rejects "${line}" with a usage error`, () => {
    assert.throws(() => parse(line), (err: Error) => {
      assert.ok(err instanceof UsageError, `${err.name}: ${err.message}`);
      assert.match(err.message, message);
      assert.equal(err.message.split("\n").length, 1);
      return true;
    });
  });
}
