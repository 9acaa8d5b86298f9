/**
 * The syntax level of the HOCON reader: a recursive-descent parser from text to the unresolved value tree
 * (`HObject` with `Concat` values where substitutions remain), including `include` of other files.
 *
 * Grammar, as the reference agent's pyhocon reads it: fields are separated by newlines, commas or nothing; a key is
 * followed by `{`, `:`, `=` or `+=` (newlines and comments may come between, and after the separator); a value is a
 * concatenation of tokens up to the end of its line, a comma, a comment or a closing bracket; an empty value is "".
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import { combineStatic } from "./hocon_resolve.ts";
import { Scanner } from "./hocon_scanner.ts";
import { assign, childPath, Concat, HObject, type Part, putPath, type Source, type Value } from "./hocon_values.ts";

const LF = 10, CR = 13, COMMA = 44, OPEN_BRACE = 123, CLOSE_BRACE = 125, OPEN_BRACKET = 91, CLOSE_BRACKET = 93;
const QUOTE = 34, DOLLAR = 36, BACKSLASH = 92;

/** What the parser needs from outside: files for `include`. */
export interface ParseContext {
  readFile: (path: string) => string;
  /** Files being included, outermost first (to report include cycles). */
  including: string[];
}

/** Parses one document into its root object (not yet resolved). */
export function parseDocument(source: Source, context: ParseContext, base: string[] | null): HObject {
  return new Parser(source, context).document(base);
}

class Parser {
  #s: Scanner;
  #context: ParseContext;

  constructor(source: Source, context: ParseContext) {
    this.#s = new Scanner(source);
    this.#context = context;
  }

  document(base: string[] | null): HObject {
    const s = this.#s;
    this.#skipSeparators();
    const root = new HObject();
    if (s.peek() === OPEN_BRACKET) {
      throw s.error(s.pos, `expected an object at the top level, found "["`);
    }
    if (s.peek() === OPEN_BRACE) {
      const open = s.pos++;
      this.#objectBody(root, base, open);
      this.#skipSeparators();
      if (!s.atEnd()) {
        throw s.error(s.pos, `unexpected ${s.describe()} after the "}" that closes the top-level object`);
      }
      return root;
    }
    this.#objectBody(root, base, -1);
    return root;
  }

  #skipSeparators(): void {
    const s = this.#s;
    for (;;) {
      s.skipBlankLines();
      if (s.peek() !== COMMA) return;
      s.pos++;
    }
  }

  /** Fields up to the `}` matching the `{` at `open` (or to the end of the text when `open` is -1). */
  #objectBody(target: HObject, path: string[] | null, open: number): void {
    const s = this.#s;
    for (;;) {
      this.#skipSeparators();
      const c = s.peek();
      if (c === -1) {
        if (open < 0) return;
        throw s.error(s.pos, `expected "}" to close the object opened at ${s.lineCol(open)}, found end of file`);
      }
      if (c === CLOSE_BRACE) {
        if (open < 0) throw s.error(s.pos, `unexpected "}": there is no open object to close`);
        s.pos++;
        return;
      }
      if (this.#atInclude()) this.#include(target, path);
      else this.#field(target, path, open);
    }
  }

  #field(target: HObject, path: string[] | null, open: number): void {
    const s = this.#s;
    const keyStart = s.pos;
    const keys = s.readKey();
    if (keys.length === 0) {
      const expected = open < 0 ? "a key" : 'a key or "}"';
      throw s.error(keyStart, `expected ${expected}, found ${s.describe()}`);
    }
    const name = JSON.stringify(keys.join("."));
    s.skipBlankLines();
    const c = s.peek();
    if (c === OPEN_BRACE) {
      const open = s.pos++;
      const object = new HObject();
      this.#objectBody(object, pathOf(path, keys), open);
      putPath(target, keys, object, path);
      return;
    }
    let append = false;
    if (c === 43 && s.peek(1) === 61) {
      append = true;
      s.pos += 2;
    } else if (c === 58 || c === 61) {
      s.pos++;
    } else {
      throw s.error(s.pos, `expected ":", "=", "+=" or "{" after the key ${name}, found ${s.describe()}`);
    }
    s.skipBlankLines();
    const valueStart = s.pos;
    const parts = this.#concat(pathOf(path, keys));
    this.#expectValueEnd(`the value of ${name}`);
    let value = this.#finish(parts, valueStart, pathOf(path, keys));
    if (append) value = this.#appended(value, valueStart);
    putPath(target, keys, value, path);
  }

  /** `a += v`: a list or string appends to the key's previous value; anything else replaces it (as pyhocon does). */
  #appended(value: Value, offset: number): Value {
    const isList = Array.isArray(value);
    if (!isList && typeof value !== "string") return value;
    const self: Part = { kind: "subst", path: [], raw: "", optional: true, self: true, ws: isList ? "" : " ", offset };
    const rest: Part = isList ? { kind: "value", value } : { kind: "str", text: value as string, ws: "", quoted: true };
    return new Concat([self, rest], this.#s.source, offset, null);
  }

  /** After a value: the end of its line, a comma, a comment or a closing bracket. */
  #expectValueEnd(what: string): void {
    const s = this.#s;
    const c = s.peek();
    if (c === -1 || c === LF || c === CR || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET) return;
    if (s.atComment()) return;
    throw s.error(s.pos, `unexpected ${s.describe()} in ${what}`);
  }

  /** The tokens of one value, up to the end of the line, a comma, a comment or a closing bracket. */
  #concat(path: string[] | null): Part[] {
    const s = this.#s;
    const parts: Part[] = [];
    for (;;) {
      s.skipBlanks();
      const c = s.peek();
      if (c === -1 || c === LF || c === CR || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET) break;
      if (s.atComment()) break;
      if (c === DOLLAR) {
        parts.push(s.readSubstitution());
      } else if (c === OPEN_BRACE) {
        const open = s.pos++;
        const object = new HObject();
        this.#objectBody(object, path, open);
        parts.push({ kind: "value", value: object });
      } else if (c === OPEN_BRACKET) {
        parts.push({ kind: "value", value: this.#array() });
      } else if (c === BACKSLASH && this.#continuation()) {
        continue;
      } else {
        const number = s.readNumber();
        if (number !== undefined) {
          parts.push({ kind: "value", value: number });
          continue;
        }
        const keyword = s.readKeyword();
        if (keyword !== undefined) {
          parts.push({ kind: "value", value: keyword });
        } else if (c === QUOTE && s.peek(1) === QUOTE && s.peek(2) === QUOTE) {
          parts.push({ kind: "value", value: s.readTriple() });
        } else if (c === QUOTE) {
          parts.push({ kind: "str", quoted: true, ...s.readQuoted() });
        } else {
          const word = s.readUnquoted();
          if (word === null) break;
          parts.push({ kind: "str", quoted: false, ...word });
        }
      }
    }
    const last = parts[parts.length - 1];
    if (last !== undefined && last.kind !== "value" && !(last.kind === "str" && last.quoted)) last.ws = "";
    return parts;
  }

  /** A `\` at the end of a line continues the value on the next line. */
  #continuation(): boolean {
    const s = this.#s;
    let i = 1;
    while (s.peek(i) === 32 || s.peek(i) === 9) i++;
    if (s.peek(i) !== LF && s.peek(i) !== CR) return false;
    s.pos += i;
    while (s.atEol()) s.pos++;
    return true;
  }

  /** The value of `parts`: constant when it has no substitution, else a `Concat` resolved later. */
  #finish(parts: Part[], offset: number, path: string[] | null): Value {
    if (parts.some((p) => p.kind === "subst")) return new Concat(parts, this.#s.source, offset, path);
    try {
      return combineStatic(parts, path);
    } catch (error) {
      throw this.#s.error(offset, (error as Error).message);
    }
  }

  #array(): Value[] {
    const s = this.#s;
    const open = s.pos++;
    const items: Value[] = [];
    for (;;) {
      this.#skipSeparators();
      const c = s.peek();
      if (c === CLOSE_BRACKET) {
        s.pos++;
        return items;
      }
      if (c === -1) {
        throw s.error(s.pos, `expected "]" to close the array opened at ${s.lineCol(open)}, found end of file`);
      }
      const start = s.pos;
      const parts = this.#concat(null);
      if (parts.length === 0) {
        throw s.error(
          s.pos,
          `expected a value or "]" to close the array opened at ${s.lineCol(open)}, found ${s.describe()}`,
        );
      }
      this.#expectValueEnd("an array element");
      if (s.peek() === CLOSE_BRACE) {
        throw s.error(s.pos, `expected "]" to close the array opened at ${s.lineCol(open)}, found "}"`);
      }
      const value = this.#finish(parts, start, null);
      // pyhocon drops elements that read as an empty string (`["a", ""]` is ["a"]).
      if (value !== "") items.push(value);
    }
  }

  #atInclude(): boolean {
    const s = this.#s;
    if ((s.peek() | 0x20) !== 105 || s.text.slice(s.pos, s.pos + 7).toLowerCase() !== "include") return false;
    const rest = s.text.slice(s.pos + 7, s.pos + 40);
    return /^[ \t]*(?:"|(?:url|file|classpath|required)[ \t]*\()/.test(rest);
  }

  /** `include "f"`, `include file("f")`, `include required(...)`: the file's fields merge into `target`. */
  #include(target: HObject, path: string[] | null): void {
    const s = this.#s;
    const start = s.pos;
    s.pos += 7;
    s.skipBlanks();
    let required = false;
    if (s.text.startsWith("required", s.pos)) {
      required = true;
      s.pos += 8;
      this.#expectChar("(", "after include required");
    }
    s.skipBlanks();
    let kind = "file";
    const word = /^(url|file|classpath)[ \t]*\(/.exec(s.text.slice(s.pos, s.pos + 20));
    if (word !== null) {
      kind = word[1];
      s.pos += word[1].length;
      this.#expectChar("(", `after include ${kind}`);
    }
    s.skipBlanks();
    if (s.peek() !== QUOTE) throw s.error(s.pos, `expected a quoted file name in the include, found ${s.describe()}`);
    const name = s.readQuoted().text;
    if (word !== null) this.#expectChar(")", `to close include ${kind}(`);
    if (required) this.#expectChar(")", "to close include required(");
    this.#expectValueEnd("the include");
    if (kind !== "file" || /^(?:https?|file):\/\//.test(name)) {
      throw s.error(
        start,
        `cannot include ${JSON.stringify(name)}: only files can be included, not ${
          kind === "classpath" ? "classpath resources" : "URLs"
        }`,
      );
    }
    const dir = s.source.dir;
    const file = isAbsolute(name) || dir === undefined ? name : join(dir, name);
    if (this.#context.including.includes(file)) {
      throw s.error(start, `cannot include ${JSON.stringify(file)}: it includes itself`);
    }
    let text: string;
    try {
      text = this.#context.readFile(file);
    } catch (error) {
      if (!required) return; // like the reference: an optional include that cannot be read is skipped
      const reason = error instanceof Error ? error.message : String(error);
      throw s.error(start, `cannot read the included file ${JSON.stringify(file)}: ${reason}`, { cause: error });
    }
    const context = { ...this.#context, including: [...this.#context.including, file] };
    const included = parseDocument({ name: file, text, dir: dirname(file) }, context, path);
    for (const [key, value] of included.fields) {
      target.fields.set(key, assign(target.fields.get(key), value, childPath(path, key)));
    }
  }

  #expectChar(char: string, where: string): void {
    const s = this.#s;
    s.skipBlanks();
    if (s.text[s.pos] !== char) throw s.error(s.pos, `expected "${char}" ${where}, found ${s.describe()}`);
    s.pos++;
  }
}

function pathOf(base: string[] | null, keys: string[]): string[] | null {
  return base === null ? null : [...base, ...keys];
}
