import assert from "node:assert/strict";
import { at, childrenNamed, parseXml } from "../../lib/stats/_xml.ts";

Deno.test("parseXml() reads elements, attributes, entities, CDATA and self-closing tags, skipping prologue", () => {
  const doc = parseXml(`<?xml version="1.0" ?>
<!DOCTYPE log SYSTEM "x.dtd">
<!-- comment -->
<log>
  <gpu id="0000:01:00.0" kind='a&amp;b'><name>A &lt;1&gt; &#65;&#x42;</name><empty/><processes /></gpu>
  <gpu id="2"><name><![CDATA[raw <text>]]></name></gpu>
</log>`);
  assert.equal(doc.name, "log");
  const gpus = childrenNamed(doc, "gpu");
  assert.deepEqual(gpus.map((g) => g.attrs), [{ id: "0000:01:00.0", kind: "a&b" }, { id: "2" }]);
  assert.equal(at(doc, "gpu/name")?.text, "A <1> AB");
  assert.equal(at(gpus[1], "name")?.text, "raw <text>");
  assert.deepEqual(gpus[0].children.map((c) => c.name), ["name", "empty", "processes"]);
  assert.equal(at(doc, "gpu/missing/x"), undefined);
});

Deno.test("parseXml() rejects malformed documents with a SyntaxError", () => {
  const bad = ["", "text", "<a>", "<a></b>", "<a></a><b></b>", "<a>x</a>trailing", "<a><b></a></b>", "<a", "<>"];
  for (const text of bad) assert.throws(() => parseXml(text), SyntaxError, JSON.stringify(text));
});
