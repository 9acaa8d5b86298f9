// Differential test of the hand-written XML reader against `fast-xml-parser` (a development dependency kept for
// this; the README's dependency notes say why the agent does not use it): every real `nvidia-smi -q -x` capture and
// a document with each construct the reader handles give the same element tree through both, and malformed
// documents are refused by both.
import assert from "node:assert/strict";
import { parseXml, type XmlElement } from "../../lib/stats/_xml.ts";
import { fxpTree as library } from "../helpers/kept_parsers.ts";
import { fixtureFiles, fixturePath } from "./_fixtures.ts";

function ours(text: string): XmlElement | "refused" {
  try {
    return parseXml(text);
  } catch (err) {
    if (err instanceof SyntaxError) return "refused";
    throw err;
  }
}

Deno.test("parseXml() and fast-xml-parser read every nvidia-smi capture into the same tree", () => {
  const files = fixtureFiles("nvidia-smi", ".xml");
  assert.ok(files.length >= 10, "the captures are present");
  for (const file of files) {
    const text = Deno.readTextFileSync(fixturePath(`nvidia-smi/${file}`));
    const want = library(text);
    assert.notEqual(want, "refused", file);
    assert.deepEqual(ours(text), want, file);
  }
});

Deno.test("parseXml() and fast-xml-parser agree on each construct and on malformed documents", () => {
  const doc = `<?xml version="1.0" ?>
<!DOCTYPE log SYSTEM "x.dtd">
<!-- comment -->
<log>
  <gpu id="0000:01:00.0" kind='a&amp;b'><name>A &lt;1&gt; &#65;&#x42; &quot;q&apos;</name><empty/><processes /></gpu>
  <gpu id="2"><name><![CDATA[raw <text>]]></name><n>  spaced  </n></gpu>
</log>`;
  assert.deepEqual(ours(doc), library(doc));
  const bad = ["", "text", "<a>", "<a></b>", "<a></a><b></b>", "<a>x</a>trailing", "<a><b></a></b>", "<a", "<>"];
  for (const text of bad) assert.deepEqual([text, ours(text)], [text, library(text)]);
});
