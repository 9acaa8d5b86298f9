/**
 * Turning a task's output bytes into log lines the way the reference does (agent-reference §6.8b):
 * - bytes are decoded as UTF-8 with replacement characters (a character split across reads is kept whole);
 * - text is split on `\n` (`\r\n` counts as one line end);
 * - with `suppressCarriageReturn` (the default, `agent.suppress_carriage_return`) a line containing `\r` becomes
 *   its last non-empty `\r` segment, so a progress bar shows only its latest state; otherwise `\r` ends a line;
 * - backspaces (`\x08`) are removed, and lines that are exactly `\x1b[0m` are dropped;
 * - a line longer than `maxLineChars` (64 Ki characters) is split into several;
 * - a trailing partial line is held until its newline arrives or it is flushed (`takeStale`, `flush`).
 *
 * Lines are returned without their `\n`.
 *
 * @module
 */

/** Options of `LineSplitter`. */
export interface LineSplitterOptions {
  /** Collapse `\r` progress updates to the last non-empty segment (`agent.suppress_carriage_return`). @default true */
  suppressCarriageReturn?: boolean;
  /** Longest line emitted; longer ones are split. @default 65536 */
  maxLineChars?: number;
  /** Clock for the age of a held partial line (ms). @default Date.now */
  now?: () => number;
}

const RESET_ONLY = "\x1b[0m";

/** Incremental bytes → lines converter for one output stream. */
export class LineSplitter {
  #decoder = new TextDecoder("utf-8", { fatal: false });
  #partial = "";
  #partialSince: number | null = null;
  #suppressCR: boolean;
  #max: number;
  #now: () => number;

  constructor(options: LineSplitterOptions = {}) {
    this.#suppressCR = options.suppressCarriageReturn ?? true;
    this.#max = Math.max(1, options.maxLineChars ?? 65536);
    this.#now = options.now ?? Date.now;
  }

  /** When the held partial line started (ms, from `now`), or `null` when nothing is held. */
  get partialSince(): number | null {
    return this.#partialSince;
  }

  /** Feed bytes (or already-decoded text); returns the lines they completed. */
  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#pushText(text);
  }

  /** If the held partial line is at least `maxAgeMs` old, emit it as a line (the reference's per-tick read). */
  takeStale(maxAgeMs: number): string[] {
    if (this.#partialSince === null || this.#now() - this.#partialSince < maxAgeMs) return [];
    return this.#takePartial();
  }

  /** End of input: decode any incomplete character and emit the partial line, if any. */
  flush(): string[] {
    const lines = this.#pushText(this.#decoder.decode());
    return [...lines, ...this.#takePartial()];
  }

  #pushText(text: string): string[] {
    if (text === "") return [];
    if (this.#partial === "") this.#partialSince = this.#now();
    let buf = this.#partial + text;
    // Without suppression `\r` ends a line; a trailing `\r` is held in case its `\n` is in the next chunk.
    if (!this.#suppressCR) buf = buf.replace(/\r\n|\r(?!$)/g, "\n");
    const out: string[] = [];
    let start = 0;
    for (let nl = buf.indexOf("\n", start); nl >= 0; nl = buf.indexOf("\n", start)) {
      this.#emit(buf.slice(start, nl), out);
      start = nl + 1;
    }
    let rest = buf.slice(start);
    if (this.#suppressCR && rest.includes("\r")) rest = this.#compactPartial(rest);
    while (rest.length > this.#max) {
      // An endless line (no newline yet) is not held without bound.
      const cut = this.#cutPoint(rest);
      this.#emit(rest.slice(0, cut), out);
      rest = rest.slice(cut);
    }
    if (start > 0 || rest === "") this.#partialSince = rest === "" ? null : this.#now();
    this.#partial = rest;
    return out;
  }

  /**
   * Keep only what the final collapse could still pick: the current segment if it is non-empty, else the last
   * non-empty segment followed by `\r`. Gives the same result as collapsing the whole line later.
   */
  #compactPartial(rest: string): string {
    const segments = rest.split("\r");
    const last = segments[segments.length - 1];
    if (last !== "") return last;
    const prev = segments.slice(0, -1).reverse().find((s) => s !== "");
    return prev === undefined ? "\r" : prev + "\r";
  }

  #takePartial(): string[] {
    if (this.#partial === "") return [];
    const out: string[] = [];
    this.#emit(this.#partial, out);
    this.#partial = "";
    this.#partialSince = null;
    return out;
  }

  #emit(raw: string, out: string[]): void {
    let line = raw.endsWith("\r") && !this.#suppressCR ? raw.slice(0, -1) : raw;
    if (this.#suppressCR && line.includes("\r")) {
      const segments = line.split("\r");
      line = segments.reverse().find((s) => s !== "") ?? "";
    }
    if (line.includes("\x08")) line = line.replaceAll("\x08", "");
    if (line === RESET_ONLY) return;
    while (line.length > this.#max) {
      const cut = this.#cutPoint(line);
      out.push(line.slice(0, cut));
      line = line.slice(cut);
    }
    out.push(line);
  }

  /** Split position ≤ max that does not separate a surrogate pair. */
  #cutPoint(text: string): number {
    const code = text.charCodeAt(this.#max - 1);
    return code >= 0xd800 && code <= 0xdbff ? this.#max - 1 : this.#max;
  }
}

/** Options of `pumpLines`. */
export interface PumpLinesOptions extends LineSplitterOptions {
  /** Receives lines in order, as soon as they are complete. */
  onLines: (lines: string[]) => void;
  /** Emit a partial line (no newline yet) once it is this old. @default 1000 */
  partialFlushMs?: number;
  /** Aborting stops reading (the stream is cancelled) after emitting what was read. */
  signal?: AbortSignal;
}

/**
 * Read a byte stream (e.g. `ChildProcess.output`) to its end, turning it into lines with a `LineSplitter`; a
 * partial line is emitted once it is `partialFlushMs` old, so a progress bar without newlines still shows up.
 * Resolves after the last line was delivered.
 */
export async function pumpLines(stream: ReadableStream<Uint8Array>, options: PumpLinesOptions): Promise<void> {
  const splitter = new LineSplitter(options);
  const flushMs = options.partialFlushMs ?? 1000;
  const now = options.now ?? Date.now;
  const reader = stream.getReader();
  const deliver = (lines: string[]) => lines.length > 0 && options.onLines(lines);
  const onAbort = () => reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let pending = reader.read();
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const since = splitter.partialSince;
      const tick = since === null ? null : new Promise<"tick">((resolve) => {
        timer = setTimeout(() => resolve("tick"), Math.max(0, since + flushMs - now()));
      });
      const result = await (tick ? Promise.race([pending, tick]) : pending);
      clearTimeout(timer);
      if (result === "tick") {
        deliver(splitter.takeStale(flushMs));
        continue;
      }
      if (result.done) break;
      deliver(splitter.push(result.value));
      pending = reader.read();
    }
  } catch (err) {
    if (!options.signal?.aborted) throw err;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
    deliver(splitter.flush());
  }
}
