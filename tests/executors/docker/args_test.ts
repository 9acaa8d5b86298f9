/** Docker CLI-style arguments → Engine API fields (pure, table-driven). */
import assert from "node:assert/strict";
import {
  applyArgs,
  canonicalFlag,
  DockerArgsError,
  parseDockerArgs,
  parseSize,
  tokenize,
} from "../../../executors/docker/args.ts";

const GIB = 1024 ** 3;

Deno.test("parseDockerArgs() maps each supported flag form onto the engine's fields", () => {
  const cases: [string[], (a: ReturnType<typeof parseDockerArgs>) => unknown, unknown][] = [
    [["-e", "A=1"], (a) => a.env, ["A=1"]],
    [["-eA=1"], (a) => a.env, ["A=1"]],
    [["-e=A=1"], (a) => a.env, ["A=1"]],
    [["--env=A=1", "--env", "B=x=y"], (a) => a.env, ["A=1", "B=x=y"]],
    [["-v", "/data:/data:ro"], (a) => a.binds, ["/data:/data:ro"]],
    [["--volume=vol:/x"], (a) => a.binds, ["vol:/x"]],
    [["--mount", "type=bind,src=/a,dst=/b,readonly"], (a) => a.mounts, [{
      Type: "bind",
      Source: "/a",
      Target: "/b",
      ReadOnly: true,
    }]],
    [["--ipc=host"], (a) => a.host.IpcMode, "host"],
    [["--net", "host"], (a) => a.host.NetworkMode, "host"],
    [["--network=none"], (a) => a.host.NetworkMode, "none"],
    [["--shm-size=8g"], (a) => a.host.ShmSize, 8 * GIB],
    [["--shm-size", "512m"], (a) => a.host.ShmSize, 512 * 1024 ** 2],
    [["-m", "1.5g"], (a) => a.host.Memory, 1.5 * GIB],
    [["--memory-swap=-1"], (a) => a.host.MemorySwap, -1],
    [["--cpus=2.5"], (a) => a.host.NanoCpus, 2.5e9],
    [["--pids-limit", "100"], (a) => a.host.PidsLimit, 100],
    [["--ulimit", "nofile=1024:2048"], (a) => a.host.Ulimits, [{ Name: "nofile", Soft: 1024, Hard: 2048 }]],
    [["--ulimit=memlock=-1"], (a) => a.host.Ulimits, [{ Name: "memlock", Soft: -1, Hard: -1 }]],
    [["--sysctl", "net.core.somaxconn=1024"], (a) => a.host.Sysctls, { "net.core.somaxconn": "1024" }],
    [["--add-host=db:10.0.0.2", "--dns", "1.1.1.1"], (a) => [a.host.ExtraHosts, a.host.Dns], [["db:10.0.0.2"], [
      "1.1.1.1",
    ]]],
    [["--cap-add", "SYS_PTRACE", "--cap-drop=ALL"], (a) => [a.host.CapAdd, a.host.CapDrop], [["SYS_PTRACE"], ["ALL"]]],
    [["--device", "/dev/fuse"], (a) => a.host.Devices, [{
      PathOnHost: "/dev/fuse",
      PathInContainer: "/dev/fuse",
      CgroupPermissions: "rwm",
    }]],
    [["--privileged"], (a) => a.host.Privileged, true],
    [["--privileged=false"], (a) => a.host.Privileged, false],
    [["--init", "--read-only"], (a) => [a.host.Init, a.host.ReadonlyRootfs], [true, true]],
    [["-u", "1000:1000", "-w", "/work", "-h", "box"], (a) => a.config, {
      User: "1000:1000",
      WorkingDir: "/work",
      Hostname: "box",
    }],
    [["--entrypoint="], (a) => a.config.Entrypoint, [""]],
    [["-l", "team=ml", "--label=x"], (a) => a.labels, { team: "ml", x: "" }],
    [["-p", "8080:80"], (a) => [a.config.ExposedPorts, a.host.PortBindings], [{ "80/tcp": {} }, {
      "80/tcp": [{ HostIp: "", HostPort: "8080" }],
    }]],
    [["-p", "127.0.0.1:9000:9000/udp"], (a) => a.host.PortBindings, {
      "9000/udp": [{ HostIp: "127.0.0.1", HostPort: "9000" }],
    }],
    [["--tmpfs", "/scratch:size=64m"], (a) => a.host.Tmpfs, { "/scratch": "size=64m" }],
    [["--log-driver", "json-file", "--log-opt", "max-size=10m"], (a) => a.host.LogConfig, {
      Type: "json-file",
      Config: { "max-size": "10m" },
    }],
    [["--gpus", "all"], (a) => a.gpus, "all"],
    [["--env-file", "/etc/x.env"], (a) => a.envFiles, ["/etc/x.env"]],
    [["-it", "--rm", "--name", "x"], (a) => a.ignored, ["-i", "--rm", "--name"]],
    [["", "--ipc=host", ""], (a) => a.host.IpcMode, "host"],
  ];
  for (const [args, pick, want] of cases) assert.deepEqual(pick(parseDockerArgs(args)), want, args.join(" "));
});

Deno.test("parseDockerArgs() refuses unknown flags, missing values, stray words and bad values with the argument named", () => {
  const cases: [string[], RegExp][] = [
    [["--frobnicate"], /Unsupported docker argument "--frobnicate"/],
    [["-e"], /Docker argument "-e" needs a value/],
    [["image:tag"], /Unexpected docker argument "image:tag"/],
    [["--shm-size=lots"], /Bad docker argument "--shm-size lots": expected a size/],
    [["--cpus", "two"], /Bad docker argument "--cpus two": not a number/],
    [["-v", "/only-one-part"], /expected SOURCE:\/container\/path/],
    [["--sysctl", "novalue"], /expected KEY=VALUE/],
    [["--privileged=maybe"], /expected true or false/],
    [["-ix"], /Unsupported docker argument "-ix"/],
  ];
  for (const [args, re] of cases) {
    assert.throws(() => parseDockerArgs(args), (err: Error) => err instanceof DockerArgsError && re.test(err.message));
  }
});

Deno.test("tokenize() keeps each flag with its value and canonicalFlag() resolves aliases", () => {
  const items = tokenize(["--net", "host", "-e", "A=1", "--ipc=host", "-it"]);
  assert.deepEqual(items.map((i) => [i.name, i.tokens]), [
    ["network", ["--net", "host"]],
    ["env", ["-e", "A=1"]],
    ["ipc", ["--ipc=host"]],
    ["interactive", ["-it"]],
  ]);
  assert.deepEqual(["--net", "-v", "--volume", "privileged", "--weird"].map(canonicalFlag), [
    "network",
    "volume",
    "volume",
    "privileged",
    "weird",
  ]);
  assert.equal(applyArgs(items).host.NetworkMode, "host");
});

Deno.test("parseSize() reads docker's binary units", () => {
  for (
    const [text, bytes] of [["10", 10], ["1k", 1024], ["2KB", 2048], ["1.5m", 1.5 * 1024 ** 2], [
      "3G",
      3 * GIB,
    ]] as const
  ) assert.equal(parseSize(text, "--x"), bytes, text);
});
