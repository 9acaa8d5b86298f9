/**
 * A small, strict XML reader for machine output such as `nvidia-smi -q -x`: elements, attributes, text and the
 * five predefined entities plus numeric character references. Declarations, DOCTYPE, comments and processing
 * instructions are skipped; CDATA is read as text. Anything malformed throws `SyntaxError`.
 *
 * @module
 */

/** One element. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element, trimmed. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const ATTR = /([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Parse a document; returns its root element. */
export function parseXml(text: string): XmlElement {
  const stack: XmlElement[] = [];
  const texts: string[][] = [];
  let root: XmlElement | null = null;
  let i = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`Invalid XML at offset ${i}: ${why}`);
  };
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (chunk.trim() !== "") {
      if (stack.length === 0) fail("text outside the root element");
      texts[texts.length - 1].push(decodeEntities(chunk));
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i);
      if (end < 0 || stack.length === 0) fail("bad CDATA section");
      texts[texts.length - 1].push(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith("<?", i) || text.startsWith("<!", i)) {
      const end = text.indexOf(">", i);
      if (end < 0) fail("unterminated declaration");
      i = end + 1;
    } else if (text.startsWith("</", i)) {
      const end = text.indexOf(">", i);
      if (end < 0) fail("unterminated end tag");
      const name = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`end tag "${name}" does not match "${open?.name ?? ""}"`);
      open!.text = texts.pop()!.join("").trim();
      if (stack.length === 0) root = open!;
      i = end + 1;
    } else {
      const end = text.indexOf(">", i);
      if (end < 0) fail("unterminated start tag");
      let body = text.slice(i + 1, end);
      const selfClosing = body.endsWith("/");
      if (selfClosing) body = body.slice(0, -1);
      const name = NAME.exec(body)?.[0];
      if (!name) fail("bad element name");
      const attrs: Record<string, string> = {};
      for (const m of body.slice(name!.length).matchAll(ATTR)) attrs[m[1]] = decodeEntities(m[3] ?? m[4] ?? "");
      const el: XmlElement = { name: name!, attrs, children: [], text: "" };
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else if (root !== null) fail("a second root element");
      if (selfClosing) {
        if (stack.length === 0) root = el;
      } else {
        stack.push(el);
        texts.push([]);
      }
      i = end + 1;
    }
  }
  if (stack.length > 0) fail(`element "${stack[stack.length - 1].name}" is not closed`);
  if (root === null) fail("no root element");
  return root!;
}

/** The first child element named `name`, or `undefined`. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** Follow a path of child names (`"fb_memory_usage/used"`); `undefined` when any step is missing. */
export function at(el: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = el;
  for (const part of path.split("/")) cur = child(cur, part);
  return cur;
}

/** Every child element named `name`. */
export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el?.children.filter((c) => c.name === name) ?? [];
}
