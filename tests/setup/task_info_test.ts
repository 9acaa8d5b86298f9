import assert from "node:assert/strict";
import {
  argsFromHyperparams,
  binaryKind,
  isGitDiff,
  parseExecutionInfo,
  pipRequirementsText,
  requestedPythonVersion,
  wantsArgsOnCommandLine,
} from "../../lib/setup/task_info.ts";

Deno.test("requestedPythonVersion() reads the version from script.binary", () => {
  const cases: [string, string | undefined][] = [
    ["python3.10", "3.10"],
    ["/usr/bin/python3.10.4", "3.10"],
    ["python3", "3"],
    ["python", undefined],
    ["bash", undefined],
    ["", undefined],
  ];
  for (const [binary, want] of cases) assert.equal(requestedPythonVersion(binary), want, binary);
});

Deno.test("binaryKind() picks shell for bash/sh/zsh and python otherwise", () => {
  const cases: [string, string][] = [["bash", "shell"], ["/bin/sh", "shell"], ["python3", "python"], ["", "python"]];
  for (const [binary, want] of cases) assert.equal(binaryKind(binary), want, binary);
});

Deno.test("parseExecutionInfo() splits entry:dir, trims and defaults working_dir", () => {
  const info = parseExecutionInfo({
    id: "t",
    script: { repository: " https://h/r.git ", entry_point: "train.py:src", version_num: "abc", requirements: {} },
    execution: { docker_cmd: "python:3.10 --ipc=host" },
  });
  assert.equal(info.repository, "https://h/r.git");
  assert.equal(info.entryPoint, "train.py");
  assert.equal(info.workingDir, "src");
  assert.equal(info.commit, "abc");
  assert.equal(info.dockerImage, "python:3.10");
  assert.equal(
    parseExecutionInfo({ id: "t", script: { entry_point: "-m pkg.mod --x 1" } }).entryPoint,
    "-m pkg.mod --x 1",
  );
  assert.equal(parseExecutionInfo({ id: "t", script: { entry_point: "a.py" } }).workingDir, ".");
});

Deno.test("isGitDiff() tells git diffs from literal scripts", () => {
  assert.equal(isGitDiff("diff --git a/x b/x\n"), true);
  assert.equal(isGitDiff("submodule x\ndiff --git a/x b/x"), true);
  assert.equal(isGitDiff("print('hi')\n"), false);
});

Deno.test("pipRequirementsText() joins lists and honours org_pip", () => {
  assert.equal(pipRequirementsText({ pip: ["a", "b"] }), "a\nb");
  assert.equal(pipRequirementsText({ pip: "x", org_pip: "y" }, true), "y");
  assert.equal(pipRequirementsText({}), undefined);
});

Deno.test("argsFromHyperparams() renders Args as --name=value when the task asks for it", () => {
  const task = {
    id: "t",
    runtime: { _args_as_cli: true },
    hyperparams: { Args: { lr: { name: "lr", value: "0.1" }, flag: { name: "flag", value: "" } } },
  };
  assert.equal(wantsArgsOnCommandLine(task), true);
  assert.deepEqual(argsFromHyperparams(task), ["--lr=0.1", "--flag"]);
  assert.equal(wantsArgsOnCommandLine({ id: "t" }), false);
});

Deno.test("parseExecutionInfo() refuses wrong-typed script fields, naming the field", () => {
  const base = { id: "t", script: { entry_point: "a.py" } };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ requirements: "numpy\npandas" }, /task field script\.requirements: expected object .*, got string$/],
    [{ requirements: ["numpy"] }, /task field script\.requirements: expected object .*, got list$/],
    [
      { requirements: { pip: 3 } },
      /task field script\.requirements\.pip: expected string or list of strings, got number$/,
    ],
    [{ entry_point: ["a.py"] }, /task field script\.entry_point: expected string, got list$/],
    [{ diff: { a: 1 } }, /task field script\.diff: expected string, got object$/],
  ];
  for (const [script, want] of cases) {
    assert.throws(() => parseExecutionInfo({ ...base, script: { ...base.script, ...script } } as never), want);
  }
  const ok = parseExecutionInfo({ ...base, script: { ...base.script, requirements: { pip: ["six"] } } } as never);
  assert.deepEqual(ok.requirements, { pip: ["six"] });
  assert.deepEqual(
    parseExecutionInfo({ ...base, script: { ...base.script, requirements: null } } as never).requirements,
    {},
  );
});
