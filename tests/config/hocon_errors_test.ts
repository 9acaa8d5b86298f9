/**
 * Tests of the clearml.conf reader's errors (each a `ConfigError` whose message starts `file:line:col:`) and of
 * `include` through an injected file reader.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConfigError } from "../../lib/config/errors.ts";
import { parseHocon } from "../../lib/config/hocon.ts";

interface ErrorCase {
  name: string;
  text: string;
  message: string;
}

const ERROR_CASES: ErrorCase[] = [
  {
    name: "an unclosed object",
    text: "a {\n  b: 1\n",
    message: '<string>:3:1: expected "}" to close the object opened at 1:3, found end of file',
  },
  {
    name: "an unclosed nested object value",
    text: "x: 1\nagent: {\n  api { host: h }\n",
    message: '<string>:4:1: expected "}" to close the object opened at 2:8, found end of file',
  },
  {
    name: "an unclosed array",
    text: "a: [1,\n  2",
    message: '<string>:2:4: expected "]" to close the array opened at 1:4, found end of file',
  },
  {
    name: "an array closed by }",
    text: "a: [1, }",
    message: '<string>:1:8: expected a value or "]" to close the array opened at 1:4, found "}"',
  },
  {
    name: "an unclosed string",
    text: 'a: "abc\nb: 1',
    message: `<string>:1:8: expected '"' to close the string opened at 1:4, found end of line`,
  },
  {
    name: "an unclosed triple-quoted string",
    text: 'a: """abc\n',
    message: `<string>:2:1: expected '"""' to close the string opened at 1:4, found end of file`,
  },
  {
    name: "a key without a value at the end",
    text: "a: 1\nb\n",
    message: '<string>:3:1: expected ":", "=", "+=" or "{" after the key "b", found end of file',
  },
  {
    name: "a key without a value in an object",
    text: "x {\n  y.z\n}",
    message: '<string>:3:1: expected ":", "=", "+=" or "{" after the key "y.z", found "}"',
  },
  { name: "a value without a key", text: "a: 1\n: 2", message: '<string>:2:1: expected a key, found ":"' },
  {
    name: "an unclosed substitution",
    text: "a: ${b.c",
    message: '<string>:1:9: expected "}" to close the substitution opened at 1:4, found end of file',
  },
  {
    name: "a $ without {",
    text: "a: $b",
    message: '<string>:1:4: expected "{" after "$" (a substitution is written ${path}), found "b"',
  },
  {
    name: "an empty substitution",
    text: "a: x ${}",
    message: '<string>:1:6: expected a path in the substitution "${}"',
  },
  {
    name: "an unresolved substitution",
    text: "a: 1\nb: x ${nope.key}",
    message:
      '<string>:2:6: cannot resolve the substitution ${nope.key}: no such key and no environment variable "nope.key"',
  },
  {
    name: "a substitution cycle",
    text: "a: ${b}\nb: ${a}",
    message: "<string>:2:4: cannot resolve the substitution ${a}: it refers back to itself (a cycle)",
  },
  {
    name: "a concatenation of an array and a string",
    text: "a: [1] foo",
    message: "<string>:1:4: cannot concatenate an array and a string",
  },
  {
    name: "a substitution that concatenates an object and a string",
    text: "o: {x: 1}\na: ${o} foo",
    message: "<string>:2:4: cannot concatenate an object and a string",
  },
  {
    name: "a reserved character in a value",
    text: "a: x?y",
    message: '<string>:1:5: unexpected "?" in the value of "a"',
  },
  { name: "an = in an unquoted value", text: "a: -e X=1", message: '<string>:1:8: unexpected "=" in the value of "a"' },
  { name: "a stray }", text: "a: 1\n}", message: '<string>:2:1: unexpected "}": there is no open object to close' },
  {
    name: "an array at the top level",
    text: "[1]",
    message: '<string>:1:1: expected an object at the top level, found "["',
  },
  {
    name: "text after the top-level object",
    text: "{a: 1}\nb: 2",
    message: '<string>:2:1: unexpected "b" after the "}" that closes the top-level object',
  },
  {
    name: "include url(...)",
    text: 'a: 1\ninclude url("https://example.com/x.conf")',
    message: '<string>:2:1: cannot include "https://example.com/x.conf": only files can be included, not URLs',
  },
  {
    name: "include of an http address",
    text: 'include "http://example.com/x.conf"',
    message: '<string>:1:1: cannot include "http://example.com/x.conf": only files can be included, not URLs',
  },
];

for (const c of ERROR_CASES) {
  Deno.test(`parseHocon() throws ConfigError with the position of ${c.name}`, () => {
    assert.throws(() => parseHocon(c.text, { env: () => undefined, readFile: noFiles }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
      assert.equal(error.message, c.message);
      return true;
    });
  });
}

function noFiles(path: string): string {
  throw new Deno.errors.NotFound(`no such file "${path}"`);
}

/** A reader over an in-memory tree of files; records what was read. */
function filesOf(files: Record<string, string>): { readFile: (path: string) => string; read: string[] } {
  const read: string[] = [];
  return {
    read,
    readFile(path: string): string {
      read.push(path);
      if (!(path in files)) throw new Deno.errors.NotFound(`no such file "${path}"`);
      return files[path];
    },
  };
}

Deno.test("parseHocon() throws ConfigError, not a stack overflow, for absurdly deep nesting", () => {
  assert.throws(
    () => parseHocon("a: " + "[".repeat(100_000), { filename: "deep.conf" }),
    new ConfigError("deep.conf: cannot read the configuration: it is nested too deeply"),
  );
});

Deno.test("parseHocon() names the file in errors", () => {
  const text = "api {\n  host: h\n\nagent {\n";
  assert.throws(
    () => parseHocon(text, { filename: "clearml.conf" }),
    new ConfigError('clearml.conf:5:1: expected "}" to close the object opened at 4:7, found end of file'),
  );
});

Deno.test("parseHocon() includes a file relative to the including file and merges its fields", () => {
  const fs = filesOf({ "/etc/clearml/base.conf": "a: 1\nsdk { x: 1 }" });
  const text = 'a: 0\ninclude "base.conf"\nsdk { y: 2 }';
  assert.deepStrictEqual(parseHocon(text, { filename: "/etc/clearml/clearml.conf", readFile: fs.readFile }), {
    a: 1,
    sdk: { x: 1, y: 2 },
  });
  assert.deepStrictEqual(fs.read, ["/etc/clearml/base.conf"]);
});

Deno.test("parseHocon() nests the fields of an include inside an object", () => {
  const fs = filesOf({ "/c/creds.conf": 'access_key: "K"\nsecret_key: "S"' });
  const text = 'api { credentials { include "creds.conf" } }';
  assert.deepStrictEqual(parseHocon(text, { filename: "/c/main.conf", readFile: fs.readFile }), {
    api: { credentials: { access_key: "K", secret_key: "S" } },
  });
});

Deno.test("parseHocon() reads include file(...) and include required(file(...))", () => {
  const fs = filesOf({ "/c/a.conf": "a: 1", "/c/b.conf": "b: 2" });
  const text = 'include file("a.conf")\ninclude required(file("b.conf"))\ninclude required("a.conf")';
  assert.deepStrictEqual(parseHocon(text, { filename: "/c/main.conf", readFile: fs.readFile }), { a: 1, b: 2 });
});

Deno.test("parseHocon() resolves a nested include relative to the included file", () => {
  const fs = filesOf({ "/c/sub/one.conf": 'include "two.conf"\none: 1', "/c/sub/two.conf": "two: 2" });
  const text = 'include "sub/one.conf"';
  assert.deepStrictEqual(parseHocon(text, { filename: "/c/main.conf", readFile: fs.readFile }), { one: 1, two: 2 });
  assert.deepStrictEqual(fs.read, ["/c/sub/one.conf", "/c/sub/two.conf"]);
});

Deno.test("parseHocon() resolves substitutions of an included file against the whole document", () => {
  const fs = filesOf({ "/c/inc.conf": "url: ${host}/v1" });
  const text = 'host: "http://h"\nsvc { include "inc.conf" }';
  assert.deepStrictEqual(parseHocon(text, { filename: "/c/main.conf", readFile: fs.readFile }), {
    host: "http://h",
    svc: { url: "http://h/v1" },
  });
});

Deno.test("parseHocon() skips an include that cannot be read unless it is required", () => {
  const fs = filesOf({});
  assert.deepStrictEqual(parseHocon('include "nope.conf"\nb: 1', { filename: "/c/m.conf", readFile: fs.readFile }), {
    b: 1,
  });
  assert.throws(
    () => parseHocon('b: 1\ninclude required("nope.conf")', { filename: "/c/m.conf", readFile: fs.readFile }),
    new ConfigError('/c/m.conf:2:1: cannot read the included file "/c/nope.conf": no such file "/c/nope.conf"'),
  );
});

Deno.test("parseHocon() reports a syntax error of an included file at its own position", () => {
  const fs = filesOf({ "/c/bad.conf": "ok: 1\nlist: [1,\n" });
  assert.throws(
    () => parseHocon('include "bad.conf"', { filename: "/c/main.conf", readFile: fs.readFile }),
    new ConfigError('/c/bad.conf:3:1: expected "]" to close the array opened at 2:7, found end of file'),
  );
});

Deno.test("parseHocon() refuses an include cycle", () => {
  const fs = filesOf({ "/c/a.conf": 'include "b.conf"', "/c/b.conf": 'x: 1\ninclude "a.conf"' });
  assert.throws(
    () => parseHocon('include "a.conf"', { filename: "/c/main.conf", readFile: fs.readFile }),
    new ConfigError('/c/b.conf:2:1: cannot include "/c/a.conf": it includes itself'),
  );
});

Deno.test("parseHocon() reads a key named include", () => {
  assert.deepStrictEqual(parseHocon("include: 1\ninclude.x: 2"), { include: { x: 2 } });
});
