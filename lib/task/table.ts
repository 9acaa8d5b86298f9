/**
 * Plain-text tables and field lists for terminals: columns padded to their widest cell, two blanks apart, long
 * cells cut with `…`, no trailing blanks. Pure.
 *
 * @module
 */

/** One column: its header and the most characters a cell may show (longer ones are cut). */
export interface Column {
  header: string;
  maxWidth?: number;
}

function cut(text: string, max: number | undefined): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (max === undefined || flat.length <= max) return flat;
  return flat.slice(0, Math.max(0, max - 1)) + "…";
}

/** Render `rows` under `columns`; every line ends with a newline. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => columns.map((c, i) => cut(row[i] ?? "", c.maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd() + "\n";
  return line(columns.map((c) => c.header)) + cells.map(line).join("");
}

/** Render `name: value` lines with the values aligned; empty values are left out. */
export function renderFields(fields: readonly (readonly [string, string | undefined])[]): string {
  const shown = fields.filter(([, v]) => v !== undefined && v !== "");
  const width = Math.max(0, ...shown.map(([k]) => k.length)) + 1;
  return shown.map(([k, v]) => {
    const [first, ...rest] = v!.split("\n");
    const pad = " ".repeat(width + 1);
    return `${(k + ":").padEnd(width)} ${first}\n${rest.map((l) => `${pad}${l}\n`).join("")}`;
  }).join("");
}

/** `2025-01-01T10:00:00.123+00:00` → `2025-01-01 10:00:00` (UTC); other text unchanged. */
export function shortDate(iso: unknown): string {
  if (typeof iso !== "string" || iso === "") return "";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}
