/**
 * A small reader of systemd unit files for tests: sections of `Key=Value` lines, and `Exec*=` command lines split
 * into argv the way systemd does (whitespace outside quotes, C escapes in quotes, `%%` and `$$` undoubled).
 *
 * @module
 */

/** Section name → key → values (a key may repeat). */
export type UnitFile = Map<string, Map<string, string[]>>;

/** Parse unit text; throws on a line that is neither a comment, a section header nor `Key=Value`. */
export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("#") || line.startsWith(";")) return;
    const header = line.match(/^\[([A-Za-z]+)\]$/);
    if (header) {
      section = new Map();
      unit.set(header[1], section);
      return;
    }
    const kv = line.match(/^([A-Za-z]+)=(.*)$/);
    if (!kv || !section) throw new Error(`line ${i + 1} is not a unit line: ${JSON.stringify(line)}`);
    section.set(kv[1], [...(section.get(kv[1]) ?? []), kv[2]]);
  });
  return unit;
}

/** The one value of `section.key`, or undefined. */
export function value(unit: UnitFile, section: string, key: string): string | undefined {
  const values = unit.get(section)?.get(key);
  if (values && values.length > 1) throw new Error(`${section}.${key} is set ${values.length} times`);
  return values?.[0];
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", "\\": "\\", '"': '"', "'": "'" };

/** Split an `Exec*=` value into argv. */
export function splitExec(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " ") i++;
    if (i >= line.length) break;
    let word = "";
    if (line[i] === '"' || line[i] === "'") {
      const quote = line[i++];
      while (i < line.length && line[i] !== quote) {
        if (line[i] === "\\") {
          const esc = ESCAPES[line[i + 1]];
          if (esc === undefined) throw new Error(`unknown escape \\${line[i + 1]} in ${line}`);
          word += esc;
          i += 2;
        } else word += line[i++];
      }
      if (line[i] !== quote) throw new Error(`unterminated quote in ${line}`);
      i++;
      if (i < line.length && line[i] !== " ") throw new Error(`text right after a closing quote in ${line}`);
    } else {
      while (i < line.length && line[i] !== " ") word += line[i++];
    }
    words.push(word.replaceAll("%%", "%").replaceAll("$$", "$"));
  }
  return words;
}
