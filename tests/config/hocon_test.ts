/**
 * Table-driven tests of the clearml.conf reader's dialect. Unless a case says otherwise, each expected tree is what
 * the reference agent's vendored pyhocon (clearml-agent 3.0.3) produced for the same text; the cases marked
 * "(pyhocon: ...)" are the documented deviations where pyhocon is broken.
 *
 * @module
 */

import assert from "node:assert/strict";
import { HoconFloat, parseHocon, parseHoconTyped } from "../../lib/config/hocon.ts";

const f = (n: number) => new HoconFloat(n);

interface Case {
  name: string;
  text: string;
  want: Record<string, unknown>;
  env?: Record<string, string>;
}

const CASES: Case[] = [
  // Assignments and structure
  {
    name: "reads key: value, key = value, key { } and key: { }",
    text: "a: 1\nb = 2\nc { d: 3 }\ne: { f: 4 }",
    want: { a: 1, b: 2, c: { d: 3 }, e: { f: 4 } },
  },
  {
    name: "keeps :// in unquoted URLs",
    text: "api_server: https://demoapi.demo.clear.ml\nfiles: s3://bucket/path",
    want: { api_server: "https://demoapi.demo.clear.ml", files: "s3://bucket/path" },
  },
  {
    name: "reads // as text inside a word and as a comment after a blank",
    text: "a: foo//bar # c\nb: foo // c\nc: 5//x\nd: 5/x",
    want: { a: "foo//bar", b: "foo", c: 5, d: "5/x" },
  },
  { name: "skips # and // comment lines", text: "# c\n  // d\na: 1 # e\n# f", want: { a: 1 } },
  { name: "reads braces around the whole document", text: "# head\n{\n  a: 1\n}\n# tail\n", want: { a: 1 } },
  {
    name: "reads dotted keys at the top level",
    text: 'agent.git_user="x"\nagent.git_pass=y\nagent { git_host: h }',
    want: { agent: { git_user: "x", git_pass: "y", git_host: "h" } },
  },
  {
    name: "merges a repeated object key deeply",
    text: "a { b { c: 1 } }\na { b { d: 2 }, e: 3 }",
    want: { a: { b: { c: 1, d: 2 }, e: 3 } },
  },
  {
    name: "replaces an object by a later scalar and a scalar by a later object",
    text: "a: {b: 1}\na: 3\nc: 3\nc.d: 1\ne: 1\ne: 2",
    want: { a: 3, c: { d: 1 }, e: 2 },
  },
  {
    name: "reads arrays with trailing commas, newlines as separators and comments",
    text: 'a: [\n  1,\n  2 # two\n  3,\n]\nb: ["x", "y", ]\nc: []',
    want: { a: [1, 2, 3], b: ["x", "y"], c: [] },
  },
  { name: "drops array elements that read as an empty string", text: 'a: ["x", "", ,"z"]', want: { a: ["x", "z"] } },
  {
    name: "reads quoted keys whole and keys with spaces",
    text: '"a.b": 1\n"c d": 2\nkey with spaces: v\n"match_rules": []',
    want: { "a.b": 1, "c d": 2, "key with spaces": "v", match_rules: [] },
  },
  {
    name: "reads JSON-style objects with quoted keys",
    text: 'credentials {"access_key": "K", "secret_key": "x!X#v$h(y)&*"}',
    want: { credentials: { access_key: "K", secret_key: "x!X#v$h(y)&*" } },
  },
  {
    name: "replaces pyhocon's escapes in quoted strings and keeps the others as written",
    text: 'a: "x\\"y\\\\z\\n\\t"\nb: "\\u0041 \\/ \\= \\#"',
    want: { a: 'x"y\\z\n\t', b: "\\u0041 \\/ = #" },
  },
  { name: "reads escapes in unquoted strings", text: "a: x\\#y\\=z", want: { a: "x#y=z" } },
  {
    name: "reads triple-quoted strings as written, quotes before the closing three included",
    text: 'a: """x\n"y"\n  z\\n"""\nb: """q""""',
    want: { a: 'x\n"y"\n  z\\n', b: 'q"' },
  },
  {
    name: "joins unquoted words with their original spacing",
    text: "a: foo  bar   baz   # c\nb: ~/.clearml/venvs-builds\nc: --ipc host",
    want: { a: "foo  bar   baz", b: "~/.clearml/venvs-builds", c: "--ipc host" },
  },
  {
    name: "reads true/false/null in any case and yes/no/on/off as strings",
    text: "a: True\nb: FALSE\nc: yes\nd: on\ne: off\nf: no\ng: null\nh: Null\ni: truex",
    want: { a: true, b: false, c: "yes", d: "on", e: "off", f: "no", g: null, h: null, i: "truex" },
  },
  {
    name: "reads integers and floats with their types",
    text: "a: 1\nb: -2\nc: 2.0\nd: 1e5\ne: .5\nf: +3\ng: 01\nh: 72.0 # hours",
    want: { a: 1, b: -2, c: f(2), d: f(100000), e: f(0.5), f: 3, g: 1, h: f(72) },
  },
  {
    name: "keeps size literals, versions and numbers followed by words as strings",
    text: "a: 10GB\nb: 1.2.3\nc: 10 GB\nd: 0x10\ne: 1 2\nf: 1.0 x",
    want: { a: "10GB", b: "1.2.3", c: "10 GB", d: "0x10", e: "1 2", f: "1.0 x" },
  },
  {
    name: "reads a number followed by blanks at the very end of the text as a string",
    text: "a: 5  \nb: 6  ",
    want: { a: 5, b: "6" },
  },
  {
    name: "continues a value after a backslash at the end of a line",
    text: "a: foo \\\n  bar",
    want: { a: "foo bar" },
  },
  {
    name: "reads an empty value as an empty string",
    text: "x { a: }\ny: ,z: 1",
    want: { x: { a: "" }, y: "", z: 1 },
  },
  { name: "reads a value that starts on a line after the separator", text: "a:\n\n  5\nb: 2", want: { a: 5, b: 2 } },
  { name: "reads a key whose { is on the next line", text: "a\n{\n  b: 1\n}", want: { a: { b: 1 } } },
  {
    name: "reads fields separated by commas or by nothing after an object",
    text: "a: 1, b: 2,, c: 3\nd {x: 1} e {y: 2}",
    want: { a: 1, b: 2, c: 3, d: { x: 1 }, e: { y: 2 } },
  },
  // Concatenation
  {
    name: "joins strings and substitutions with the blanks written between them",
    text: 's: abc\nt: pre- ${s} "q" end\nu: "pre-"${s}"-post"',
    want: { s: "abc", t: "pre- abc q end", u: "pre-abc-post" },
  },
  {
    name: "joins numbers and booleans as Python prints them",
    text: "x: 2.0\nb: true\ns: ${x} ${b}\nt: ${x}px",
    want: { x: f(2), b: true, s: "2.0 True", t: "2.0px" },
  },
  { name: "concatenates arrays", text: "a: [1] [2, 3]\nb: [0] ${a}", want: { a: [1, 2, 3], b: [0, 1, 2, 3] } },
  { name: "concatenates objects by merging", text: "a: {x: 1} {y: 2} {x: 3}", want: { a: { x: 3, y: 2 } } },
  // Substitutions
  {
    name: "resolves ${path} anywhere in the document, also forward",
    text: "a: ${b.c}\nb { c: 5 }\nd: ${b}",
    want: { a: 5, b: { c: 5 }, d: { c: 5 } },
  },
  { name: "resolves ${path} to the key's final value", text: "a: 1\nb: ${a}\na: 2", want: { a: 2, b: 2 } },
  {
    name: "copies a substituted object before merging into it",
    text: "x: {a: 1}\ny: ${x} {b: 2}",
    want: { x: { a: 1 }, y: { a: 1, b: 2 } },
  },
  { name: "follows substitution chains", text: "a: ${b}\nb: ${c}\nc: 5", want: { a: 5, b: 5, c: 5 } },
  {
    name: "falls back to an environment variable, read as a string",
    text: "a: ${HOST}\nb: ${N}\nc: ${?N}",
    env: { HOST: "h", N: "5" },
    want: { a: "h", b: "5", c: "5" },
  },
  { name: "leaves a key absent when ${?X} finds nothing", text: "a: ${?NOPE}\nb: 1", want: { b: 1 } },
  { name: "keeps the earlier value when ${?X} finds nothing", text: "a: 1\na: ${?NOPE}", want: { a: 1 } },
  {
    name: "overrides with ${?X} when the environment has it",
    text: "a: 1\na: ${?A_VAR}",
    env: { A_VAR: "from-env" },
    want: { a: "from-env" },
  },
  {
    name: "drops a missing ${?X} from a concatenation",
    text: "a: foo ${?NOPE} bar\nb: ${?NOPE} x",
    want: { a: "foo bar", b: "x" },
  },
  { name: "treats a substituted null as missing", text: "x: null\na: ${x}\nb: ${x} y", want: { x: null, b: "y" } },
  { name: "reads a quoted substitution path", text: 'x: {"y.z": 3}\na: ${x."y.z"}', want: { x: { "y.z": 3 }, a: 3 } },
  {
    name: "appends to an array through a self reference",
    text: "path: [a]\npath: ${path} [b]\nx.y: [1]\nx.y: ${x.y} [2]",
    want: { path: ["a", "b"], x: { y: [1, 2] } },
  },
  {
    name: "appends to a string through a self reference",
    text: 'p: /usr\np: ${p}":/bin"\nq: x\nq: ${q} y\nq: ${q} z',
    want: { p: "/usr:/bin", q: "x y z" },
  },
  {
    name: "reads the environment for a self reference without earlier value",
    text: 'PATH: ${PATH}":/x"',
    env: { PATH: "/bin" },
    want: { PATH: "/bin:/x" },
  },
  {
    name: "resolves a self reference inside a nested object",
    text: "a: {b: [1]}\na: {b: ${a.b} [2]}\nc: {d: 1}\nc: ${c} {e: 2}",
    want: { a: { b: [1, 2] }, c: { d: 1, e: 2 } },
  },
  { name: "appends arrays with +=", text: "a: [1]\na += [2]\na += [3]\nb += [1]", want: { a: [1, 2, 3], b: [1] } },
  { name: "appends strings with += and a blank", text: 'a: x\na += y\na += "z w"', want: { a: "x y z w" } },
  { name: "replaces with += of a number, as pyhocon does", text: "a: [1]\na += 2", want: { a: 2 } },
  {
    name: "does not resolve a value that a later object replaces",
    text: "a.b: ${x} y\na { b: {p: 1} }",
    want: { a: { b: { p: 1 } } },
  },
  // Deliberate differences from pyhocon
  {
    name: "drops an array element whose ${?X} finds nothing (pyhocon: null)",
    text: "a: [${?NOPE}, 1]",
    want: { a: [1] },
  },
  { name: "leaves a key absent for ${?self} without earlier value (pyhocon: null)", text: "a: ${?a}", want: {} },
  {
    name: 'appends with += without an earlier value and no leading blank (pyhocon: " x")',
    text: "a += x",
    want: { a: "x" },
  },
  {
    name: "reads quoted and unquoted segments in one key (pyhocon: syntax error)",
    text: '"a.b".c: 1\nd."e.f": 2',
    want: { "a.b": { c: 1 }, d: { "e.f": 2 } },
  },
  {
    name: "merges a dotted key into a substituted object (pyhocon: replaces it)",
    text: "x: {p: 1}\na: ${x}\na.q: 2",
    want: { x: { p: 1 }, a: { p: 1, q: 2 } },
  },
];

for (const c of CASES) {
  Deno.test(`parseHocon() ${c.name}`, () => {
    const env = (name: string) => c.env?.[name];
    assert.deepStrictEqual(parseHoconTyped(c.text, { env }), c.want);
  });
}

Deno.test("parseHocon() returns plain numbers and is safe with a __proto__ key", () => {
  const tree = parseHocon('a: 2.0\n"__proto__": {polluted: 1}', { env: () => undefined });
  assert.deepStrictEqual(Object.keys(tree), ["a", "__proto__"]);
  assert.equal(tree.a, 2);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(tree), Object.prototype);
});

Deno.test("parseHocon() asks the injected env only for substitutions the document lacks", () => {
  const asked: string[] = [];
  const env = (name: string) => {
    asked.push(name);
    return name === "X" ? "x" : undefined;
  };
  assert.deepStrictEqual(parseHocon("a: 1\nb: ${a}\nc: ${X}\nd: ${?Y}", { env }), { a: 1, b: 1, c: "x" });
  assert.deepStrictEqual(asked, ["X", "Y"]);
});

Deno.test("parseHocon() reads the process environment by default", () => {
  const name = "HOCON_TEST_DEFAULT_ENV";
  Deno.env.set(name, "from-process");
  try {
    assert.deepStrictEqual(parseHocon(`a: \${${name}}`), { a: "from-process" });
  } finally {
    Deno.env.delete(name);
  }
});
