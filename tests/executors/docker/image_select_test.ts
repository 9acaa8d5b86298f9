/** Image and argument choice per task (agent-reference §8.1), and container names. */
import assert from "node:assert/strict";
import { chooseContainer, taskContainer } from "../../../executors/docker/image_select.ts";
import { containerName } from "../../../executors/docker/container_parts.ts";

const AGENT = { cliArgs: [], defaultImage: "default/img:1", defaultArgs: "--ipc=host --shm-size 1g", force: false };

Deno.test("chooseContainer() prefers the task's image, then the command line's, then the default", () => {
  const task = { container: { image: " task/img:2 ", arguments: "-e A=1", setup_shell_script: "echo hi" } };
  const cases: [Parameters<typeof chooseContainer>[0], Parameters<typeof chooseContainer>[1], unknown][] = [
    [task, AGENT, { image: "task/img:2", args: ["-e", "A=1"], setupScript: "echo hi", isDefault: false }],
    [task, { ...AGENT, cliImage: "cli/img", cliArgs: ["--ipc=host"] }, {
      image: "task/img:2",
      args: ["-e", "A=1"],
      setupScript: "echo hi",
      isDefault: false,
    }],
    [task, { ...AGENT, force: true }, {
      image: "default/img:1",
      args: ["--ipc=host", "--shm-size", "1g"],
      setupScript: "echo hi",
      isDefault: true,
    }],
    [{ container: { arguments: "-e IGNORED=1" } }, { ...AGENT, cliImage: "cli/img", cliArgs: ["--ipc=host"] }, {
      image: "cli/img",
      args: ["--ipc=host"],
      setupScript: "",
      isDefault: true,
    }],
    [{}, { ...AGENT, defaultArgs: ["--ipc=host", "-e B=2"] }, {
      image: "default/img:1",
      args: ["--ipc=host", "-e", "B=2"],
      setupScript: "",
      isDefault: true,
    }],
    [{ execution: { docker_cmd: "legacy/img:3 --ipc=host" } }, AGENT, {
      image: "legacy/img:3",
      args: ["--ipc=host"],
      setupScript: "",
      isDefault: false,
    }],
  ];
  for (const [t, agent, want] of cases) assert.deepEqual(chooseContainer(t, agent), want, JSON.stringify(t));
  assert.throws(() => chooseContainer({}, { ...AGENT, defaultImage: "" }), /No docker image for the task/);
  assert.deepEqual(taskContainer({ container: { image: null, arguments: null } }), { image: "", args: [] });
});

Deno.test("chooseContainer() refuses wrong-typed container fields, naming the field", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ container: { image: 3 } }, /Task field container\.image: expected string, got number$/],
    [
      { container: { image: "a", setup_shell_script: ["echo"] } },
      /Task field container\.setup_shell_script: .*got list$/,
    ],
    [{ execution: { docker_cmd: { image: "a" } } }, /Task field execution\.docker_cmd: expected string, got object$/],
  ];
  for (const [task, want] of cases) assert.throws(() => chooseContainer(task as never, AGENT), want);
});

Deno.test("containerName() fills the reference's fields and refuses invalid names", () => {
  const lines: string[] = [];
  const o = { taskId: "abc123", workerId: "host:gpu0" };
  assert.equal(containerName(undefined, o, (l) => lines.push(l)), undefined);
  assert.equal(containerName("clearml-id-{task_id}", o, (l) => lines.push(l)), "clearml-id-abc123");
  assert.equal(containerName("w-{worker_id}", o, (l) => lines.push(l)), "w-host-gpu0");
  assert.match(containerName("x-{rand_string:.8}", o, (l) => lines.push(l))!, /^x-[a-z]{8}$/);
  assert.equal(lines.length, 0);
  assert.equal(containerName("{unknown}-x", o, (l) => lines.push(l)), undefined);
  assert.equal(containerName("bad name {task_id}", o, (l) => lines.push(l)), undefined);
  assert.equal(lines.length, 2);
});
