/**
 * POSIX-shell-like word splitting and quoting (Python's `shlex.split` / `shlex.quote`), used wherever the reference
 * treats a variable or a field as a shell-quoted list (docker arguments, pip flags, worker tags).
 *
 * @module
 */

/** Split `text` into words: whitespace separates, single and double quotes group, backslash escapes. */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1])) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new SyntaxError(`No closing quotation in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}

/** Quote one word for a POSIX shell (as Python's `shlex.quote`). */
export function shlexQuote(word: string): string {
  if (word === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return "'" + word.replaceAll("'", `'"'"'`) + "'";
}

/** Join words into one shell command line. */
export function shlexJoin(words: readonly string[]): string {
  return words.map(shlexQuote).join(" ");
}
