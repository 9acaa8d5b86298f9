/**
 * The character level of the HOCON reader: positions and error messages, comments, and the token readers (quoted,
 * triple-quoted and unquoted strings, numbers, keywords, substitutions, keys). Each reader follows the token rules of
 * the pyhocon that the reference agent vendors, including which tokens keep the blanks that follow them.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { HoconFloat, type Scalar, type Source, type SubstPart } from "./hocon_values.ts";

const TAB = 9, LF = 10, CR = 13, SPACE = 32, QUOTE = 34, HASH = 35, DOLLAR = 36, SLASH = 47, BACKSLASH = 92;
const PLUS = 43, MINUS = 45, DOT = 46, QUESTION = 63, OPEN_BRACE = 123, CLOSE_BRACE = 125;

/** Characters that end an unquoted string (besides whitespace); `\` starts an escape pair instead. */
const UNQUOTED_STOP = new Set([...'^`+?!@*&"[{]}#,=$'].map((c) => c.charCodeAt(0)));
/** Characters that end an unquoted key (a key may hold spaces, dots, slashes and dashes). */
const KEY_STOP = new Set([...':=+{}[],#$\\^`?!@*&"\t\n\r'].map((c) => c.charCodeAt(0)));
/** After a number only blanks and then one of these (or `//`, or the end) may follow, else it is a string. */
const NUMBER_FOLLOW = new Set([..."$}],#\n\r"].map((c) => c.charCodeAt(0)));

/** The escapes the reference reader replaces; any other `\x` pair is kept as written. */
const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "\n": "\n",
  n: "\n",
  r: "\r",
  t: "\t",
  "=": "=",
  "#": "#",
  "!": "!",
  '"': '"',
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === DOLLAR;
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === 11 || c === 12 ||
    (c > 127 && /\s/.test(String.fromCharCode(c)));
}

/** Replaces the escape pairs of a quoted or unquoted string. */
export function unescape(raw: string): string {
  if (!raw.includes("\\")) return raw;
  return raw.replace(/\\([\s\S])/g, (pair, c: string) => ESCAPES[c] ?? pair);
}

/** A position in one text, with the readers for its tokens. */
export class Scanner {
  readonly source: Source;
  readonly text: string;
  pos = 0;

  constructor(source: Source) {
    this.source = source;
    this.text = source.text;
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  /** The char code at `pos + ahead`, or -1 past the end. */
  peek(ahead = 0): number {
    const i = this.pos + ahead;
    return i < this.text.length ? this.text.charCodeAt(i) : -1;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  atEol(): boolean {
    const c = this.peek();
    return c === LF || c === CR;
  }

  /** `#` or `//` starts a comment (outside strings and unquoted words). */
  atComment(): boolean {
    const c = this.peek();
    return c === HASH || (c === SLASH && this.peek(1) === SLASH);
  }

  skipBlanks(): void {
    let c = this.peek();
    while (c === SPACE || c === TAB) c = this.text.charCodeAt(++this.pos);
  }

  /** Skips a comment up to (not including) the end of its line. */
  skipComment(): void {
    const text = this.text;
    let i = this.pos;
    while (i < text.length && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
    this.pos = i;
  }

  /** Skips blanks, line ends and comments (not commas). */
  skipBlankLines(): void {
    for (;;) {
      this.skipBlanks();
      if (this.atEol()) this.pos++;
      else if (this.atComment()) this.skipComment();
      else return;
    }
  }

  /** `line:col` (1-based) of an offset. */
  lineCol(offset: number): string {
    let line = 1, start = 0;
    for (let i = this.text.indexOf("\n"); i !== -1 && i < offset; i = this.text.indexOf("\n", i + 1)) {
      line++;
      start = i + 1;
    }
    return `${line}:${offset - start + 1}`;
  }

  /** How the text at `offset` reads in a message: `end of file`, `end of line` or the quoted character. */
  describe(offset = this.pos): string {
    if (offset >= this.text.length) return "end of file";
    const c = this.text.charCodeAt(offset);
    if (c === LF || c === CR) return "end of line";
    return JSON.stringify(String.fromCodePoint(this.text.codePointAt(offset) ?? c));
  }

  /** A `ConfigError` whose message starts with `file:line:col:`. */
  error(offset: number, message: string, options?: ErrorOptions): ConfigError {
    return new ConfigError(`${this.source.name}:${this.lineCol(offset)}: ${message}`, options);
  }

  /** The blanks at `pos`, consumed. */
  takeBlanks(): string {
    const start = this.pos;
    this.skipBlanks();
    return start === this.pos ? "" : this.text.slice(start, this.pos);
  }

  /** `"..."` at `pos`: its unescaped text and the blanks after it. */
  readQuoted(): { text: string; ws: string } {
    const start = this.pos;
    const text = this.text;
    let i = start + 1;
    for (;;) {
      const c = i < text.length ? text.charCodeAt(i) : -1;
      if (c === QUOTE) break;
      if (c === -1 || c === LF || c === CR || (c === BACKSLASH && text.charCodeAt(i + 1) === LF)) {
        throw this.error(
          i,
          `expected '"' to close the string opened at ${this.lineCol(start)}, found ${this.describe(i)}`,
        );
      }
      i += c === BACKSLASH ? 2 : 1;
    }
    this.pos = i + 1;
    return { text: unescape(text.slice(start + 1, i)), ws: this.takeBlanks() };
  }

  /** `"""..."""` at `pos`: its text as written (quotes beyond the closing three belong to the text). */
  readTriple(): string {
    const start = this.pos;
    const close = this.text.indexOf('"""', start + 3);
    if (close === -1) {
      throw this.error(
        this.text.length,
        `expected '"""' to close the string opened at ${this.lineCol(start)}, found end of file`,
      );
    }
    let end = close + 3;
    while (this.text.charCodeAt(end) === QUOTE) end++;
    this.pos = end;
    return this.text.slice(start + 3, end - 3);
  }

  /** An unquoted string at `pos` (stops at whitespace and reserved characters), or null when there is none. */
  readUnquoted(): { text: string; ws: string } | null {
    const text = this.text;
    const start = this.pos;
    let i = start;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        if (i + 1 >= text.length || text.charCodeAt(i + 1) === LF) break;
        i += 2;
      } else if (UNQUOTED_STOP.has(c) || isSpace(c)) {
        break;
      } else {
        i++;
      }
    }
    if (i === start) return null;
    this.pos = i;
    return { text: unescape(text.slice(start, i)), ws: this.takeBlanks() };
  }

  /**
   * A number at `pos`, or undefined. Like the reference, `1.5` is a number only when the line (or the value) ends
   * after it: `10GB`, `1.2.3` and `1 x` are strings.
   */
  readNumber(): Scalar | undefined {
    const text = this.text;
    let i = this.pos;
    let c = text.charCodeAt(i);
    if (c === PLUS || c === MINUS) c = text.charCodeAt(++i);
    const intStart = i;
    while (isDigit(c)) c = text.charCodeAt(++i);
    let isFloat = false;
    if (c === DOT && isDigit(text.charCodeAt(i + 1))) {
      isFloat = true;
      c = text.charCodeAt(++i);
      while (isDigit(c)) c = text.charCodeAt(++i);
    } else if (i === intStart) {
      return undefined;
    }
    if ((c | 0x20) === 101) {
      let j = i + 1;
      if (text.charCodeAt(j) === PLUS || text.charCodeAt(j) === MINUS) j++;
      if (isDigit(text.charCodeAt(j))) {
        isFloat = true;
        while (isDigit(text.charCodeAt(j))) j++;
        i = j;
      }
    }
    let k = i;
    while (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB) k++;
    const follow = k < text.length ? text.charCodeAt(k) : -1;
    // As the reference's regex: blanks then the end of the text make `5  ` a string.
    if (follow === -1 ? k > i : !NUMBER_FOLLOW.has(follow) && !(follow === SLASH && text.charCodeAt(k + 1) === SLASH)) {
      return undefined;
    }
    const literal = text.slice(this.pos, i);
    this.pos = i;
    if (isFloat) return new HoconFloat(Number(literal));
    const n = Number(literal);
    return Number.isSafeInteger(n) ? n + 0 : BigInt(literal);
  }

  /** `true`, `false` or `null` (any case) at `pos` as a whole word, or undefined. */
  readKeyword(): boolean | null | undefined {
    const c = String.fromCharCode(this.peek() | 0x20);
    if (c !== "t" && c !== "f" && c !== "n") return undefined;
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      const end = this.pos + word.length;
      if (this.text.slice(this.pos, end).toLowerCase() === word && !isIdentChar(this.text.charCodeAt(end))) {
        this.pos = end;
        return value;
      }
    }
    return undefined;
  }

  /** `${path}` or `${?path}` at `pos`, with the blanks after it. */
  readSubstitution(): SubstPart {
    const start = this.pos;
    if (this.peek(1) !== OPEN_BRACE) {
      throw this.error(
        start,
        `expected "{" after "$" (a substitution is written \${path}), found ${this.describe(start + 1)}`,
      );
    }
    const optional = this.peek(2) === QUESTION;
    const from = start + (optional ? 3 : 2);
    let end = from;
    while (end < this.text.length && this.text.charCodeAt(end) !== CLOSE_BRACE) {
      const c = this.text.charCodeAt(end);
      if (c === LF || c === CR) break;
      end++;
    }
    if (this.text.charCodeAt(end) !== CLOSE_BRACE) {
      throw this.error(
        end,
        `expected "}" to close the substitution opened at ${this.lineCol(start)}, found ${this.describe(end)}`,
      );
    }
    const raw = this.text.slice(from, end).trim();
    const path = raw === "" ? [] : splitPath(raw);
    if (path.length === 0) {
      throw this.error(start, `expected a path in the substitution "${this.text.slice(start, end + 1)}"`);
    }
    this.pos = end + 1;
    return { kind: "subst", path, raw, optional, self: false, ws: this.takeBlanks(), offset: start };
  }

  /** A key at `pos` (`a`, `a.b c`, `"a.b"`, `a."b.c".d`) as its path segments; empty when there is none. */
  readKey(): string[] {
    const text = this.text;
    const segments: string[] = [];
    const quoted: boolean[] = [];
    let current = "", currentQuoted = false, started = false;
    for (;;) {
      const c = this.peek();
      if (c === QUOTE) {
        if (this.peek(1) === QUOTE && this.peek(2) === QUOTE) break;
        const { text: part } = this.readQuoted();
        current += part;
        currentQuoted = true;
        started = true;
        continue;
      }
      if (c === -1 || KEY_STOP.has(c) || (c === SLASH && this.peek(1) === SLASH && !started)) break;
      const start = this.pos;
      let i = start;
      while (i < text.length && !KEY_STOP.has(text.charCodeAt(i))) i++;
      let run = text.slice(start, i);
      if (!started) run = run.trimStart();
      this.pos = i;
      const pieces = run.split(".");
      current += pieces[0];
      for (let p = 1; p < pieces.length; p++) {
        segments.push(current);
        quoted.push(currentQuoted);
        current = pieces[p];
        currentQuoted = false;
      }
      started = true;
    }
    if (!started) return [];
    segments.push(current);
    quoted.push(currentQuoted);
    const last = segments.length - 1;
    if (!quoted[last]) segments[last] = segments[last].trimEnd();
    return segments.filter((s, i) => s !== "" || quoted[i]);
  }
}

/** Splits a substitution path (`a.b`, `a."b.c"`) into segments. */
export function splitPath(raw: string): string[] {
  const scanner = new Scanner({ name: "<path>", text: raw });
  const segments = scanner.readKey();
  return scanner.atEnd() ? segments : [raw];
}
