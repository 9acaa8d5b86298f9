import assert from "node:assert/strict";
import {
  logicalLines,
  normalizedSet,
  normalizeLine,
  parseRequirements,
} from "../../../lib/setup/python/requirements.ts";

Deno.test("logicalLines() joins continuations and drops comments but keeps #egg", () => {
  assert.deepEqual(logicalLines("# c\nnumpy==1.0 # pin\nfoo \\\n >=2\ngit+https://h/r.git#egg=r\n"), [
    "numpy==1.0",
    "foo  >=2",
    "git+https://h/r.git#egg=r",
  ]);
});

Deno.test("normalizeLine() canonicalizes names and operator spacing", () => {
  const cases: [string, string][] = [
    ["NumPy == 1.2", "numpy==1.2"],
    ["Foo_Bar>=1 ; python_version < '3.8'", "foo-bar>=1;python_version<'3.8'"],
    ["pkg @ https://x/y.whl", "pkg@https://x/y.whl"],
  ];
  for (const [line, want] of cases) assert.equal(normalizeLine(line), want, line);
});

Deno.test("parseRequirements() separates options, inlines -r and flags local sets", () => {
  const files: Record<string, string> = { "/repo/base.txt": "six==1.16.0\n" };
  const set = parseRequirements(
    "--extra-index-url http://idx/simple\n-r base.txt\nrequests[socks]>=2 ; python_version>'3'\n",
    {
      baseDir: "/repo",
      readFile: (p) =>
        files[p] ?? (() => {
          throw new Error("missing");
        })(),
    },
  );
  assert.deepEqual(set.options, ["--extra-index-url http://idx/simple"]);
  assert.deepEqual(set.lines, ["six==1.16.0", "requests[socks]>=2 ; python_version>'3'"]);
  assert.equal(set.local, false);
  assert.equal(parseRequirements("-e .\n").local, true);
  assert.equal(parseRequirements("-e git+https://h/r.git#egg=r\n").local, false);
  assert.throws(() =>
    parseRequirements("-r missing.txt", {
      baseDir: "/repo",
      readFile: () => {
        throw new Error("no");
      },
    }), /"missing.txt".*not found/);
});

Deno.test("parseRequirements() reduces pkg @ file:// URLs whose file is gone", () => {
  const set = parseRequirements("numpy @ file:///tmp/build/numpy.whl\n", { exists: () => false });
  assert.deepEqual(set.lines, ["numpy"]);
});

Deno.test("normalizedSet() is order-insensitive and de-duplicated", () => {
  const a = normalizedSet(parseRequirements("B==1\na==2\n"));
  const b = normalizedSet(parseRequirements("a == 2\nb==1\nb==1\n"));
  assert.deepEqual(a, b);
});
