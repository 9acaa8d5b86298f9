/**
 * Golden tests of the clearml.conf reader: every `X.conf` in shared/fixtures/clearml-conf must read as
 * `X.conf.expected.json`, the reference reader's tree dumped by Python's `json.dumps(sort_keys=True, indent=1)`.
 * The typed tree is serialised the same way and compared byte for byte, so number types (`2.0` vs `2`) count.
 * Also checks the Python-style JSON writer on its own.
 *
 * @module
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixture } from "../helpers/fixtures.ts";
import { HoconFloat, parseHocon, parseHoconTyped, toPythonJson } from "../../lib/config/hocon.ts";

const FIXTURES = fixture("clearml-conf");
const CONF_FILES = readdirSync(FIXTURES).filter((name) => name.endsWith(".conf")).sort();
const noEnv = () => undefined;

Deno.test("clearml-conf fixtures are all there, each with its expected JSON", () => {
  assert.ok(CONF_FILES.length >= 7, `only ${CONF_FILES.length} .conf fixtures in ${FIXTURES}`);
  for (const name of CONF_FILES) assert.ok(existsSync(join(FIXTURES, `${name}.expected.json`)), name);
});

for (const name of CONF_FILES) {
  const file = join(FIXTURES, name);
  const expected = readFileSync(`${file}.expected.json`, "utf8");

  Deno.test(`parseHoconTyped() reads ${name} exactly as the reference reader (byte-identical JSON)`, () => {
    const text = readFileSync(file, "utf8");
    const actual = toPythonJson(parseHoconTyped(text, { filename: file, env: noEnv })) + "\n";
    assert.equal(actual, expected);
  });

  Deno.test(`parseHocon() reads ${name} as the plain values of the expected JSON`, () => {
    const text = readFileSync(file, "utf8");
    assert.deepEqual(parseHocon(text, { filename: file, env: noEnv }), JSON.parse(expected));
  });
}

Deno.test("parseHoconTyped() keeps 2.0 a float and 2 an integer while parseHocon() gives plain numbers", () => {
  const text = "a: 2.0\nb: 2\nc: 1e5\nd: 12345678901234567890";
  assert.deepEqual(parseHoconTyped(text), {
    a: new HoconFloat(2),
    b: 2,
    c: new HoconFloat(100000),
    d: 12345678901234567890n,
  });
  assert.deepEqual(parseHocon(text), { a: 2, b: 2, c: 100000, d: 12345678901234567000 });
});

const FLOAT_REPRS: [number, string][] = [
  [2, "2.0"],
  [0.1, "0.1"],
  [72, "72.0"],
  [0.0001, "0.0001"],
  [0.00001, "1e-05"],
  [1.5e-7, "1.5e-07"],
  [1e15, "1000000000000000.0"],
  [1e16, "1e+16"],
  [123456789012345678, "1.2345678901234568e+17"],
  [1e100, "1e+100"],
  [-0, "-0.0"],
  [-2.5, "-2.5"],
  [Infinity, "Infinity"],
];

for (const [value, repr] of FLOAT_REPRS) {
  Deno.test(`toPythonJson() writes the float ${repr} as Python does`, () => {
    assert.equal(toPythonJson(new HoconFloat(value)), repr);
  });
}

Deno.test("toPythonJson() sorts keys, indents by one and escapes non-ASCII like json.dumps", () => {
  const tree = { "b": [1, "é\n"], "a": {}, "ä": [], "Z": { "y": true, "x": null } };
  assert.equal(
    toPythonJson(tree),
    '{\n "Z": {\n  "x": null,\n  "y": true\n },\n "a": {},\n "b": [\n  1,\n  "\\u00e9\\n"\n ],\n "\\u00e4": []\n}',
  );
});

Deno.test("toPythonJson() writes a typed tree of the reader as Python would", () => {
  const tree = parseHoconTyped('x: 1.50\ny: [1, 2.0, "s"]\nz: 100000000000000000000.0');
  assert.equal(toPythonJson(tree), '{\n "x": 1.5,\n "y": [\n  1,\n  2.0,\n  "s"\n ],\n "z": 1e+20\n}');
});
