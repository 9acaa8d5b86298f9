// Differential test of the hand-written multipart reader against `@fastify/busboy` (a development dependency kept
// for this; the README's dependency notes say why the server does not use it): the same bodies, cut into the same
// chunks, go through both, and both must see the same parts with the same bytes, or both must refuse the body.
import assert from "node:assert/strict";
import { busboyParts as library, concatBytes as concat, ourParts as ours } from "../../helpers/kept_parsers.ts";

const enc = new TextEncoder();

function cut(body: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += size) out.push(body.slice(i, i + size));
  return out;
}

/** A multipart body from raw part heads and contents, with an optional preamble and epilogue. */
function body(boundary: string, parts: [string, Uint8Array | string][], extra: { pre?: string; post?: string } = {}) {
  const out: Uint8Array[] = [enc.encode(extra.pre ?? "")];
  for (const [head, data] of parts) {
    out.push(enc.encode(`--${boundary}\r\n${head}\r\n\r\n`), typeof data === "string" ? enc.encode(data) : data);
    out.push(enc.encode("\r\n"));
  }
  out.push(enc.encode(`--${boundary}--${extra.post ?? ""}`));
  return concat(out);
}

const B = "XyZ-boundary'()+_,./:=?";
const binary = new Uint8Array(5000).map((_, i) => (i * 31 + 7) % 256);
const nearMiss = `a\r\n--${B.slice(0, -1)}b\r\n-${B}\r--${B}x`;

const wellFormed: [string, string, Uint8Array][] = [
  ["one binary file", B, body(B, [['Content-Disposition: form-data; name="a/b.bin"; filename="b.bin"', binary]])],
  [
    "several parts, empty and text ones",
    B,
    body(B, [
      ['Content-Disposition: form-data; name="x/empty.txt"; filename="empty.txt"', ""],
      ['Content-Disposition: form-data; name="plain"\r\nContent-Type: text/plain', "hello"],
      ['content-disposition: form-data; name="Compat/t.1/m.bin"; filename="m.bin"', binary.subarray(0, 999)],
    ]),
  ],
  ["UTF-8 names", B, body(B, [['Content-Disposition: form-data; name="модель/ü 1.bin"; filename="ü 1.bin"', "x"]])],
  ["data that nearly holds the delimiter", B, body(B, [['Content-Disposition: form-data; name="n"', nearMiss]])],
  [
    "quoted parameters with ';' and escapes",
    "q",
    body("q", [['Content-Disposition: form-data; name="a;b \\"c\\".txt"; filename="f;g.txt"', "x"]]),
  ],
  [
    "preamble and epilogue",
    B,
    concat([
      enc.encode(`ignored preamble\r\n--${B}\r\nContent-Disposition: form-data; name="p"\r\n\r\ndata\r\n`),
      enc.encode(`--${B}--\r\nepilogue --${B}\r\n`),
    ]),
  ],
];

const malformed: [string, string, Uint8Array][] = [
  ["ends inside a part", "XY", enc.encode('--XY\r\nContent-Disposition: form-data; name="f"\r\n\r\nsome bytes')],
  ["ends inside the part headers", "XY", enc.encode('--XY\r\nContent-Disposition: form-data; name="f"\r\n')],
  ["has no delimiter at all", "XY", enc.encode("just some bytes\r\n")],
  ["ends after a delimiter", "XY", enc.encode('--XY\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n--XY')],
];

Deno.test("readMultipart() and busboy read the same parts from well-formed bodies in any chunking", async () => {
  for (const [what, boundary, bytes] of wellFormed) {
    for (const size of [1, 2, 7, 64, 4096, bytes.length]) {
      const want = await library(cut(bytes, size), boundary);
      assert.notEqual(want, "refused", `busboy refused: ${what}`);
      assert.deepEqual(await ours(cut(bytes, size), boundary), want, `${what}, chunks of ${size}`);
    }
  }
});

Deno.test("readMultipart() and busboy both refuse truncated bodies", async () => {
  for (const [what, boundary, bytes] of malformed) {
    for (const size of [1, 5, bytes.length]) {
      assert.equal(await library(cut(bytes, size), boundary), "refused", `busboy accepted a body that ${what}`);
      assert.equal(await ours(cut(bytes, size), boundary), "refused", `readMultipart() accepted a body that ${what}`);
    }
  }
});

Deno.test("readMultipart() accepts transport padding after a delimiter, which busboy skips the part for", async () => {
  // RFC 2046 §5.1.1: linear white space may follow a boundary line. The one known difference between the two.
  const bytes = enc.encode(`--${B} \t\r\nContent-Disposition: form-data; name="p"\r\n\r\ndata\r\n--${B}--`);
  assert.deepEqual(await ours([bytes], B), [{ name: "p", bytes: enc.encode("data") }]);
  assert.deepEqual(await library([bytes], B), []);
});
