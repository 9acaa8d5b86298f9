/**
 * The npm libraries the hand-written multipart and XML readers are checked and measured against: `@fastify/busboy`
 * and `fast-xml-parser`, development dependencies only (the README's dependency notes say why the agent does not
 * use them). Each is driven the plainest way and its result put in the shape our reader gives (and our multipart
 * reader is driven the same way), so that a test or a benchmark can compare the two directly. Used by `tests/server/transport/multipart_diff_test.ts`,
 * `tests/stats/xml_diff_test.ts` and `scripts/bench_libs.ts`.
 *
 * @module
 */

import { Busboy } from "@fastify/busboy";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { XmlElement } from "../../lib/stats/_xml.ts";
import { readMultipart } from "../../lib/server/transport/multipart.ts";
import { ServerError } from "../../lib/server/errors.ts";

/** One part of a multipart body, as both readers are compared. */
export interface ReadPart {
  name: string;
  filename?: string;
  bytes: Uint8Array;
}

/** The chunks as one array. */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let off = 0;
  for (const c of chunks) out.set(c, (off += c.length) - c.length);
  return out;
}

/** The parts our `readMultipart()` reads from a body fed as `chunks`, or `"refused"` when it answers 400. */
export async function ourParts(chunks: Iterable<Uint8Array>, boundary: string): Promise<ReadPart[] | "refused"> {
  const parts: ReadPart[] = [];
  const body = async function* () {
    yield* chunks;
  };
  try {
    await readMultipart(body(), boundary, (info) => {
      const got: Uint8Array[] = [];
      return Promise.resolve({
        write: (c: Uint8Array) => Promise.resolve(void got.push(c)),
        close: () => {
          const filename = info.filename !== undefined ? { filename: info.filename } : {};
          parts.push({ name: info.name, ...filename, bytes: concatBytes(got) });
          return Promise.resolve();
        },
      });
    });
  } catch (err) {
    if (err instanceof ServerError && err.code === 400) return "refused";
    throw err;
  }
  return parts;
}

/**
 * The parts busboy reads from a body fed as `chunks` (every part taken as a file, names kept as sent), or
 * `"refused"` when it reports an error.
 */
export function busboyParts(chunks: Iterable<Uint8Array>, boundary: string): Promise<ReadPart[] | "refused"> {
  return new Promise((resolve) => {
    const parts: ReadPart[] = [];
    const parser = Busboy({
      headers: { "content-type": `multipart/form-data; boundary="${boundary}"` },
      preservePath: true,
      isPartAFile: () => true,
    });
    parser.on("file", (name, stream, filename) => {
      const got: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => got.push(c));
      stream.on("error", () => resolve("refused"));
      stream.on("end", () => {
        parts.push({ name: name ?? "", ...(filename !== undefined ? { filename } : {}), bytes: concatBytes(got) });
      });
    });
    parser.on("error", () => resolve("refused"));
    parser.on("finish", () => resolve(parts));
    for (const c of chunks) parser.write(c);
    parser.end();
  });
}

/** A node of `fast-xml-parser`'s ordered output: `{ name: children, ":@": attributes }` or `{ "#text": text }`. */
type OrderedNode = Record<string, unknown>;

const xmlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  htmlEntities: true, // the only way it decodes numeric character references
});

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ":@");
  if (name === undefined || name === "#text" || name.startsWith("?") || name.startsWith("!")) return undefined;
  const children: XmlElement[] = [];
  let text = "";
  for (const c of node[name] as OrderedNode[]) {
    if ("#text" in c) text += String(c["#text"]);
    else {
      const el = toElement(c);
      if (el) children.push(el);
    }
  }
  return { name, attrs: (node[":@"] ?? {}) as Record<string, string>, children, text: text.trim() };
}

/**
 * fast-xml-parser's reading of a document as our element tree (validated first, as our reader is strict), or
 * `"refused"` when it is malformed.
 */
export function fxpTree(text: string): XmlElement | "refused" {
  if (XMLValidator.validate(text) !== true) return "refused";
  const roots = (xmlParser.parse(text) as OrderedNode[]).map(toElement).filter((el) => el !== undefined);
  return roots.length === 1 ? roots[0] : "refused";
}
