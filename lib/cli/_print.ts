/**
 * Writing a command's result to stdout: plain text or JSON (2-space indent, one trailing newline).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Write `text` to stdout as is. */
export async function printOut(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
}

/** Write `value` as indented JSON and a newline. */
export function printJson(value: unknown): Promise<void> {
  return printOut(JSON.stringify(value, null, 2) + "\n");
}

/** Write a note for the user to stderr (results stay alone on stdout). */
export function note(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}
