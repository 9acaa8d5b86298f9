import assert from "node:assert/strict";
import { join } from "node:path";
import { environmentSection, filesSection, writeSectionFiles } from "../../lib/config/config_sections.ts";
import { startExecuteEnv } from "../helpers/execute_env.ts";

Deno.test("environmentSection() takes a section or a list of pairs; null is empty", () => {
  assert.deepEqual(environmentSection({ environment: { A: "a", N: 3, Z: null } }), { A: "a", N: "3", Z: "" });
  assert.deepEqual(environmentSection({ environment: [["B", "b"], ["bad"]] }), { B: "b" });
  assert.deepEqual(environmentSection({}), {});
});

Deno.test("writeSectionFiles() writes text, JSON and base64 contents with their mode, and skips what it must", async () => {
  const dir = await Deno.makeTempDir({ prefix: "files-section-" });
  try {
    await Deno.mkdir(join(dir, "adir"));
    await Deno.writeTextFile(join(dir, "keep.txt"), "old");
    const plans = filesSection({
      files: {
        text: { path: join(dir, "sub/fox.txt"), contents: "quick brown fox", mode: "0o640" },
        json: { path: join(dir, "t.json"), contents: { a: { b: [1, 2] } }, target_format: "json" },
        raw: { path: join(dir, "b.bin"), contents: "AAEC/w==", format: "base64", mode: "600" },
        keep: { path: join(dir, "keep.txt"), contents: "new", overwrite: false },
        folder: { path: join(dir, "adir"), contents: "x" },
        nopath: { contents: "x" },
        badmode: { path: join(dir, "m"), contents: "x", mode: "rw" },
      },
    }, (p) => p);
    const lines = await writeSectionFiles(plans);
    assert.deepEqual(lines.map((l) => l.replaceAll(dir, "D")), [
      "Saved [text]: D/sub/fox.txt",
      "Saved [json]: D/t.json",
      "Saved [raw]: D/b.bin",
      'Skipped [keep]: "D/keep.txt" exists (overwrite: false)',
      'Skipped [folder]: "D/adir" is a directory',
      "Skipped [nopath]: no path",
      'Skipped [badmode]: mode "rw" is not an octal number',
    ]);
    assert.equal(await Deno.readTextFile(join(dir, "sub/fox.txt")), "quick brown fox");
    assert.equal((await Deno.stat(join(dir, "sub/fox.txt"))).mode! & 0o777, 0o640);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "t.json"))), { a: { b: [1, 2] } });
    assert.deepEqual([...await Deno.readFile(join(dir, "b.bin"))], [0, 1, 2, 255]);
    assert.equal(await Deno.readTextFile(join(dir, "keep.txt")), "old");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute applies environment {} and files {}: the task sees them, no printout or argv shows a value", async () => {
  const target = await Deno.makeTempDir({ prefix: "files-target-" });
  const env = await startExecuteEnv({}, {
    environment: { X_FROM_CONF: "env-value-7f3a9c", EMPTY_ONE: null },
    files: { note: { path: join(target, "note.txt"), contents: "file-value-51be0d", mode: "0o600" } },
  });
  try {
    const id = await env.createTask({
      repository: "",
      entry_point: `-c "import os; print('X=' + repr(os.environ.get('X_FROM_CONF'))); ` +
        `print('E=' + repr(os.environ.get('EMPTY_ONE'))); print('F=' + open('${join(target, "note.txt")}').read())"`,
      binary: "python3",
      requirements: { pip: "" },
    });
    const res = await env.execute(["--id", id]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /X='env-value-7f3a9c'/);
    assert.match(res.stdout, /E=''/);
    assert.match(res.stdout, /F=file-value-51be0d/);
    assert.match(res.stdout, /Environment variables set from configuration: \["X_FROM_CONF","EMPTY_ONE"\]/);
    assert.match(res.stdout, /Saved \[note\]: .*note\.txt/);
    const log = (await env.logLines(id)).join("\n");
    const printed = log.replace(/X='env-value-7f3a9c'|F=file-value-51be0d/g, "");
    assert.doesNotMatch(printed, /env-value-7f3a9c|file-value-51be0d/, "values only where the task printed them");
    assert.equal((await Deno.stat(join(target, "note.txt"))).mode! & 0o777, 0o600);
  } finally {
    await env.close();
    await Deno.remove(target, { recursive: true });
  }
});
