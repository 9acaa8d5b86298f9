import assert from "node:assert/strict";
import { compileFilter, listPredicate, patternPredicate } from "../../../lib/server/queries/query_filter.ts";
import { project, sortDocs } from "../../../lib/server/queries/query.ts";
import { compilePattern, translatePythonRegex } from "../../../lib/server/queries/query_regex.ts";
import { ServerError } from "../../../lib/server/errors.ts";

const DOCS = [
  { id: "a", name: "train model", tags: ["x", "y"], status: "created", n: 3 },
  { id: "b", name: "Train-2 model", tags: ["y"], status: "queued", n: 1 },
  { id: "c", name: "eval", tags: [], status: "failed" },
];

function ids(pred: (d: Record<string, unknown>) => boolean): string[] {
  return DOCS.filter(pred).map((d) => d.id);
}

Deno.test("listPredicate() implements any-of, -exclusion, null and the __$ operators", () => {
  const cases: [string, unknown, string[]][] = [
    ["tags", ["x"], ["a"]],
    ["tags", ["y"], ["a", "b"]],
    ["tags", "y", ["a", "b"]],
    ["tags", ["-x"], ["b", "c"]],
    ["tags", ["y", "-x"], ["b"]],
    ["tags", [null], ["c"]],
    ["tags", [null, "x"], ["a", "c"]],
    ["tags", ["__$all", "x", "y"], ["a"]],
    ["tags", ["__$not", "y"], ["c"]],
    ["tags", ["__$not", null], ["a", "b"]],
    ["status", ["created", "failed"], ["a", "c"]],
    ["status", ["-created"], ["b", "c"]],
    ["id", [], ["a", "b", "c"]],
  ];
  for (const [field, value, want] of cases) {
    assert.deepEqual(ids(listPredicate(field, value)), want, JSON.stringify(value));
  }
});

Deno.test("patternPredicate() searches unanchored, case-sensitive, with Python escapes", () => {
  const cases: [string, string[]][] = [
    ["model", ["a", "b"]],
    ["^train", ["a"]],
    ["^Train\\-2\\ model$", ["b"]],
    ["(?i)^train", ["a", "b"]],
    ["(?P<w>mo)del", ["a", "b"]],
    ["\\Aeval\\Z", ["c"]],
  ];
  for (const [pattern, want] of cases) assert.deepEqual(ids(patternPredicate("name", pattern)), want, pattern);
});

Deno.test("compilePattern() rejects invalid patterns with 400/21 naming the field", () => {
  for (const bad of ["(", "[a-", "a{2,1}", "(?x)a"]) {
    assert.throws(
      () => compilePattern(bad, "name"),
      (err: unknown) =>
        err instanceof ServerError && err.code === 400 && err.subcode === 21 && err.message.includes("field=name"),
      bad,
    );
  }
  assert.deepEqual(translatePythonRegex("(?P<a>x)(?P=a)[\\A]"), { source: "(?<a>x)\\k<a>[\\A]", flags: "" });
});

Deno.test("compileFilter() combines ranges, dates and _any_/_all_", () => {
  const docs = [
    { id: "1", last_iteration: 5, last_update: "2025-01-02T00:00:00.000000+00:00", name: "alpha", comment: "xx" },
    { id: "2", last_iteration: 50, last_update: "2025-02-01T00:00:00.000000+00:00", name: "beta", comment: "ALPHA" },
    { id: "3", name: "gamma" },
  ];
  const run = (body: Record<string, unknown>) =>
    docs.filter(compileFilter(body, {
      pattern: ["name"],
      lists: [],
      listPrefixes: [],
      ranges: ["last_iteration"],
      rangePrefixes: [],
      dates: ["last_update"],
      text: ["name", "comment"],
    })).map((d) => d.id);
  assert.deepEqual(run({ last_iteration: [10, null] }), ["2"]);
  assert.deepEqual(run({ last_iteration: [null, 10] }), ["1", "3"]);
  assert.deepEqual(run({ last_update: [">=2025-01-15"] }), ["2"]);
  assert.deepEqual(run({ last_update: ["2025-01-01T00:00:00", "2025-01-10T00:00:00"] }), ["1"]);
  assert.deepEqual(run({ _any_: { fields: ["name", "comment"], pattern: "alpha" } }), ["1", "2"]);
  assert.deepEqual(run({ _all_: { fields: ["name", "comment"], pattern: "a" } }), ["2"]);
  assert.deepEqual(run({ search_text: "ALP" }), ["1", "2"]);
  assert.throws(() => run({ last_update: ["soon"] }), ServerError);
});

Deno.test("sortDocs() orders with empty values last in both directions and numeric-aware prefixes", () => {
  const docs = [
    { id: "1", name: "b", h: { v: "10" } },
    { id: "2", name: "", h: { v: "9" } },
    { id: "3", name: "a", h: {} },
    { id: "4", name: "c", h: { v: "100" } },
  ];
  assert.deepEqual(sortDocs(docs, ["name"], []).map((d) => d.id), ["3", "1", "4", "2"]);
  assert.deepEqual(sortDocs(docs, ["-name"], []).map((d) => d.id), ["4", "1", "3", "2"]);
  assert.deepEqual(sortDocs(docs, ["h.v"], ["h."]).map((d) => d.id), ["2", "1", "4", "3"]);
  assert.deepEqual(sortDocs(docs, ["h.v"], []).map((d) => d.id), ["1", "4", "2", "3"]);
});

Deno.test("project() includes dotted paths, always id, hides hidden and internal fields, removes -x", () => {
  const doc = {
    id: "t",
    name: "n",
    script: { requirements: { pip: "x" }, repository: "r" },
    models: { input: [{ name: "m", model: "1" }, { name: "k", model: "2" }] },
    enqueue_status: "created",
    _metric_state: {},
  };
  assert.deepEqual(project(doc, ["script.requirements"], []), { id: "t", script: { requirements: { pip: "x" } } });
  assert.deepEqual(project(doc, ["models.input.model"], []), {
    id: "t",
    models: { input: [{ model: "1" }, { model: "2" }] },
  });
  assert.deepEqual(project(doc, undefined, ["enqueue_status"]), {
    id: "t",
    name: "n",
    script: doc.script,
    models: doc.models,
  });
  assert.deepEqual(project(doc, ["enqueue_status"], ["enqueue_status"]), { id: "t", enqueue_status: "created" });
  assert.deepEqual(Object.keys(project(doc, ["-script", "-models"], ["enqueue_status"])), ["id", "name"]);
});
