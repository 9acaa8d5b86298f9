/** Admin/task docker argument merge (§8.5), forbidden list, GPUs, env split and create options (pure). */
import assert from "node:assert/strict";
import { DockerArgsError, itemTokens, parseDockerArgs, tokenize } from "../../../executors/docker/args.ts";
import {
  type ArgRules,
  createOptions,
  envFileText,
  expandEnvItems,
  gpuAssignment,
  gpuPlan,
  mergeArgs,
  runCommandLine,
  screenTaskArgs,
  splitEnv,
} from "../../../executors/docker/spec.ts";
import { FrameDemuxer } from "../../../executors/docker/executor.ts";

const RULES: ArgRules = {
  allowlist: [],
  forbidden: ["--privileged", "--cap-add", "-v", "--volume", "--mount", "--entrypoint"],
  extraPrecedesTask: true,
  protectedSwitches: ["privileged", "security-opt", "network", "ipc"],
};

Deno.test("mergeArgs() lets the admin's protected switches win and keeps the rest of both sides", () => {
  const cases: [string[], string[], Partial<ArgRules>, string[]][] = [
    [["--network=host"], ["--net", "bridge", "-e", "A=1"], {}, ["--network=host", "-e", "A=1"]],
    [["--ipc=host"], ["--ipc", "private", "--shm-size=1g"], {}, ["--ipc=host", "--shm-size=1g"]],
    [["--shm-size=2g"], ["--shm-size=1g"], {}, ["--shm-size=2g", "--shm-size=1g"]],
    [["--network=host"], ["--network=bridge"], { extraPrecedesTask: false }, ["--network=bridge"]],
    [[], ["--ipc=host"], {}, ["--ipc=host"]],
  ];
  for (const [admin, task, rules, want] of cases) {
    const merged = mergeArgs(tokenize(admin), tokenize(task), { ...RULES, ...rules });
    assert.deepEqual(itemTokens(merged), want, `${admin} + ${task}`);
  }
  // A later duplicate wins when applied: the task's value of an unprotected switch.
  assert.equal(
    parseDockerArgs(itemTokens(mergeArgs(tokenize(["--shm-size=2g"]), tokenize(["--shm-size=1g"]), RULES))).host
      .ShmSize,
    1024 ** 3,
  );
});

Deno.test("screenTaskArgs() refuses forbidden flags in any spelling, and the allowlist drops the rest", () => {
  for (const args of [["--privileged"], ["-v", "/:/host"], ["--volume=/etc:/etc"], ["--cap-add=SYS_ADMIN"]]) {
    assert.throws(
      () => screenTaskArgs(tokenize(args), RULES),
      (err: Error) =>
        err instanceof DockerArgsError && /of the task is forbidden by agent.forbidden_docker_args/.test(err.message),
      args.join(" "),
    );
  }
  assert.deepEqual(itemTokens(screenTaskArgs(tokenize(["--ipc=host", "-e", "A=1"]), RULES).kept), [
    "--ipc=host",
    "-e",
    "A=1",
  ]);
  // The admin allows a flag by taking it off the list.
  assert.equal(screenTaskArgs(tokenize(["--privileged"]), { ...RULES, forbidden: [] }).kept.length, 1);
  const screened = screenTaskArgs(tokenize(["--ipc=host", "-e", "A=1", "--shm-size", "1g"]), {
    ...RULES,
    allowlist: ["^-e$", "^--shm-size"],
  });
  assert.deepEqual(itemTokens(screened.kept), ["-e", "A=1", "--shm-size", "1g"]);
  assert.deepEqual(screened.dropped, ["--ipc=host"]);
});

Deno.test("expandEnvItems() expands $VAR in -e values only", () => {
  const items = expandEnvItems(tokenize(["-e", "TOKEN=$HOST_TOKEN", "--env=P=${P}x", "-v", "$HOME:/h"]), {
    HOST_TOKEN: "abc",
    P: "p",
    HOME: "/root",
  });
  assert.deepEqual(itemTokens(items), ["-e", "TOKEN=abc", "--env=P=px", "-v", "$HOME:/h"]);
});

Deno.test("gpuPlan() requests only the assigned devices, none with --cpu-only, never all without GPUs", () => {
  const cases: [Parameters<typeof gpuPlan>[0], boolean, unknown, Record<string, string>][] = [
    [{ kind: "list", ids: ["1", "3"] }, true, [{
      Driver: "",
      Count: 0,
      DeviceIDs: ["1", "3"],
      Capabilities: [["gpu"]],
      Options: {},
    }], { NVIDIA_VISIBLE_DEVICES: "1,3", CUDA_DEVICE_ORDER: "PCI_BUS_ID" }],
    [{ kind: "list", ids: ["0:1"] }, true, [{
      Driver: "",
      Count: 0,
      DeviceIDs: ["0:1"],
      Capabilities: [["gpu"]],
      Options: {},
    }], { NVIDIA_VISIBLE_DEVICES: "0:1", CUDA_DEVICE_ORDER: "PCI_BUS_ID" }],
    [{ kind: "list", ids: ["1", "3"] }, false, [], {
      NVIDIA_VISIBLE_DEVICES: "1,3",
      CUDA_VISIBLE_DEVICES: "1,3",
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    }],
    [{ kind: "none" }, true, [], {
      NVIDIA_VISIBLE_DEVICES: "none",
      CUDA_VISIBLE_DEVICES: "none",
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    }],
    [{ kind: "unset" }, false, [], {}],
    [{ kind: "all" }, false, [], {}],
    [{ kind: "all" }, true, [{ Driver: "", Count: -1, DeviceIDs: null, Capabilities: [["gpu"]], Options: {} }], {
      NVIDIA_VISIBLE_DEVICES: "all",
      CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    }],
  ];
  for (const [assignment, gpus, requests, env] of cases) {
    const plan = gpuPlan(assignment, gpus);
    assert.deepEqual(plan.deviceRequests, requests, JSON.stringify(assignment) + gpus);
    assert.deepEqual(plan.env, env, JSON.stringify(assignment) + gpus);
  }
  assert.deepEqual(
    [undefined, "", "none", "void", "ALL", "0,2", "0.1,1:2"].map(gpuAssignment),
    [
      { kind: "unset" },
      { kind: "unset" },
      { kind: "none" },
      { kind: "none" },
      { kind: "all" },
      { kind: "list", ids: ["0", "2"] },
      { kind: "list", ids: ["0:1", "1:2"] },
    ],
  );
  // CLEARML_DOCKER_SKIP_GPUS_FLAG: the variable alone selects the devices.
  assert.deepEqual(gpuPlan({ kind: "list", ids: ["2"] }, true, true), {
    deviceRequests: [],
    env: { NVIDIA_VISIBLE_DEVICES: "2", CUDA_DEVICE_ORDER: "PCI_BUS_ID" },
  });
  assert.deepEqual(gpuPlan({ kind: "unset" }, true, true).env.NVIDIA_VISIBLE_DEVICES, "all");
  assert.deepEqual(gpuPlan({ kind: "none" }, true, true).env.NVIDIA_VISIBLE_DEVICES, "none");
});

Deno.test("splitEnv() keeps NVIDIA_* in the container config and sends every other -e to the env file", () => {
  const { config, secret } = splitEnv(["A=1", "NVIDIA_DRIVER_CAPABILITIES=all", "FROM_HOST", "UNSET", "B=x=y"], {
    FROM_HOST: "h",
  });
  assert.deepEqual(config, { NVIDIA_DRIVER_CAPABILITIES: "all" });
  assert.deepEqual(secret, { A: "1", FROM_HOST: "h", B: "x=y" });
  assert.throws(() => splitEnv(["BAD-NAME=1"], {}), /bad variable name/);
});

Deno.test("envFileText() quotes values for sh, so that the shell reads them back verbatim", async () => {
  const values = { A: "plain", B: 'it\'s $HOME `x` "q"\nline2', C: "" };
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/env`, envFileText(values));
    const out = await new Deno.Command("sh", {
      args: ["-c", `set -a; . ${dir}/env; printf '%s\\0' "$A" "$B" "$C"`],
      stdout: "piped",
    }).output();
    assert.deepEqual(new TextDecoder().decode(out.stdout).split("\0").slice(0, 3), Object.values(values));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createOptions() puts our mounts, labels and variables over the arguments' and adds an init", () => {
  const args = parseDockerArgs(["--ipc=host", "-l", "clearml-task-id=spoofed", "-v", "/data:/data", "-u", "1000"]);
  const spec = {
    image: "img:1",
    cmd: ["/bin/sh", "/opt/clearml/run/entry.sh"],
    args,
    env: { CLEARML_TASK_ID: "t1" },
    binds: [{ source: "/host/conf", target: "/tmp/clearml.conf", readOnly: true }],
    labels: { "clearml-task-id": "t1" },
    gpu: gpuPlan({ kind: "none" }, false),
  };
  const o = createOptions(spec) as Record<string, Record<string, unknown>>;
  assert.equal(o.Image as unknown, "img:1");
  assert.equal(o.User as unknown, "1000");
  assert.deepEqual(o.Labels, { "clearml-task-id": "t1" });
  assert.ok((o.Env as unknown as string[]).includes("CLEARML_TASK_ID=t1"));
  assert.ok((o.Env as unknown as string[]).includes("NVIDIA_VISIBLE_DEVICES=none"));
  assert.equal(o.HostConfig.Init, true);
  assert.equal(o.HostConfig.IpcMode, "host");
  assert.deepEqual(o.HostConfig.Binds, ["/data:/data"]);
  assert.deepEqual(o.HostConfig.Mounts, [
    { Type: "bind", Source: "/host/conf", Target: "/tmp/clearml.conf", ReadOnly: true },
  ]);
  assert.deepEqual(runCommandLine(spec, ["--ipc=host"]).slice(0, 5), [
    "docker",
    "run",
    "--init",
    "-l",
    "clearml-task-id=t1",
  ]);
});

Deno.test("FrameDemuxer splits the engine's multiplexed stream, across reads", () => {
  const frame = (stream: number, text: string) => {
    const data = new TextEncoder().encode(text);
    const out = new Uint8Array(8 + data.length);
    out[0] = stream;
    new DataView(out.buffer).setUint32(4, data.length);
    out.set(data, 8);
    return out;
  };
  const all = new Uint8Array([...frame(1, "hello\n"), ...frame(2, "oops\n"), ...frame(1, "")]);
  const d = new FrameDemuxer();
  const got: string[] = [];
  for (let i = 0; i < all.length; i += 3) {
    for (const f of d.push(all.subarray(i, i + 3))) got.push(`${f.stream}:${new TextDecoder().decode(f.data)}`);
  }
  assert.deepEqual(got, ["1:hello\n", "2:oops\n", "1:"]);
});
