import assert from "node:assert/strict";
import { parseArgPairs, withArgs } from "../../lib/task/args.ts";

Deno.test("parseArgPairs() splits name=value words", () => {
  const cases: [string[], { name: string; value: string }[]][] = [
    [["lr=0.5"], [{ name: "lr", value: "0.5" }]],
    [["url=http://x/?a=b"], [{ name: "url", value: "http://x/?a=b" }]],
    [["empty="], [{ name: "empty", value: "" }]],
    [["--batch_size=64", "-v=1"], [{ name: "batch_size", value: "64" }, { name: "v", value: "1" }]],
    [[], []],
  ];
  for (const [words, want] of cases) assert.deepEqual(parseArgPairs(words), want, words.join(" "));
});

Deno.test("parseArgPairs() names the first word that is not a pair", () => {
  for (const bad of ["lr", "=5", "--=1"]) {
    assert.throws(() => parseArgPairs(["ok=1", bad]), new RegExp(`"${bad}" is not a name=value pair`));
  }
});

Deno.test("withArgs() updates Args items in place, adds new ones and leaves other sections alone", () => {
  const before = {
    Args: { lr: { section: "Args", name: "lr", value: "0.1", type: "float", description: "rate" } },
    General: { x: { section: "General", name: "x", value: "1" } },
  };
  const after = withArgs(before, [{ name: "lr", value: "0.5" }, { name: "epochs", value: "3" }]);
  assert.deepEqual(after.Args.lr, { section: "Args", name: "lr", value: "0.5", type: "float", description: "rate" });
  assert.deepEqual(after.Args.epochs, { section: "Args", name: "epochs", value: "3" });
  assert.deepEqual(Object.keys(after.Args), ["lr", "epochs"]);
  assert.deepEqual(after.General, before.General);
  assert.equal(before.Args.lr.value, "0.1", "the input is not modified");
  assert.deepEqual(withArgs(undefined, []), {});
});
