/**
 * A task's pip requirements from the task tools' flags: `--requirements FILE` (its lines) and `--packages ...`
 * (one requirement each), stored as `script.requirements.pip` text. Unlike the Python `clearml-task`, no
 * `clearml` line is added: our tasks do not need the SDK (their `Args` can reach them on the command line).
 *
 * @module
 */

/** Where the requirements come from. */
export interface PackageSources {
  /** `--requirements FILE`. */
  requirementsFile?: string;
  /** `--packages ...`. */
  packages?: readonly string[];
}

/** The `pip` text of `sources`, or undefined when neither is given. Throws when the file cannot be read. */
export async function pipText(sources: PackageSources): Promise<string | undefined> {
  const lines: string[] = [];
  if (sources.requirementsFile !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(sources.requirementsFile);
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound ? "not found" : (err as Error).message;
      throw new Error(`Cannot read requirements file "${sources.requirementsFile}": ${why}`, { cause: err });
    }
    lines.push(...text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== ""));
  }
  for (const p of sources.packages ?? []) {
    for (const word of p.split(/\r?\n/).map((l) => l.trim())) if (word) lines.push(word);
  }
  if (sources.requirementsFile === undefined && (sources.packages === undefined || lines.length === 0)) {
    return undefined;
  }
  return lines.join("\n") + (lines.length > 0 ? "\n" : "");
}
