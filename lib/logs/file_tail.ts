/**
 * Reading a task's output from the file it writes to, instead of from a pipe: the task (and everything it starts)
 * appends to a file of its own, so it never waits for the agent — a pipe holds 64 KiB, and a child whose reader
 * is busy blocks in `write`. The agent looks at the file's size before it reads (one `fstat`, no copy):
 * - a little new output (under `heavyBytes`, 64 KiB) is read at once, then the reader pauses `batchMs` (20 ms), so
 *   a chatty task's lines are handled in batches, not one per `print`;
 * - a burst (64 KiB or more waiting) is left alone while it grows: the reader only checks the size again every
 *   `burstCheckMs` (50 ms) and reads once the file stops growing, or `burstMaxMs` (1 s) after the burst began —
 *   a task printing as fast as it can runs without the agent competing for the CPU (on a 2-core machine the
 *   agent's line handling and the server's ingestion would otherwise take turns with it), and its lines arrive at
 *   most a second late (the reference: 5 s);
 * - once it reads, it reads everything there, in 256 KiB chunks back to back: no throughput limit;
 * - with nothing new, it checks again after a pause that starts at 5 ms and doubles up to 100 ms (the first line
 *   of a quiet task shows within 5 ms).
 * Once `done` resolves (the task's process tree is gone), it reads to the end and closes: no byte written before
 * that is lost.
 *
 * @example
 * ```ts
 * const child = spawnChild({ cmd: "python3", args: ["-u", "train.py"], output: { file: path } });
 * const stream = tailFile(path, { done: child.status });
 * await pumpLines(stream, { onLines: (lines) => log.lines(lines) });
 * ```
 *
 * @module
 */

/** Options of `tailFile`. */
export interface TailFileOptions {
  /** Resolves (or rejects) once nothing writes to the file any more: the rest is read, then the stream ends. */
  done: Promise<unknown>;
  /** Largest chunk. @default 262144 */
  chunkBytes?: number;
  /** First and longest pause at the end of the file (ms). @default 5 and 100 */
  minWaitMs?: number;
  maxWaitMs?: number;
  /** Pause after reading a little output (ms). @default 20 */
  batchMs?: number;
  /** This much unread output is a burst, left alone while it grows. @default 65536 */
  heavyBytes?: number;
  /** Size checks during a burst (ms), and the longest a burst is left unread (ms). @default 50 and 1000 */
  burstCheckMs?: number;
  burstMaxMs?: number;
  /** Clock (ms) for the burst limit. @default performance.now */
  now?: () => number;
}

/** Create (or truncate) the file a child will append its output to; private to the agent's user. */
export async function createOutputFile(path: string): Promise<void> {
  await Deno.writeFile(path, new Uint8Array(), { mode: 0o600 });
}

/** The file's bytes as they are appended, up to the end once `done` resolved. Cancelling stops reading. */
export function tailFile(path: string, options: TailFileOptions): ReadableStream<Uint8Array> {
  const buf = new Uint8Array(options.chunkBytes ?? 1 << 18);
  const minWait = options.minWaitMs ?? 5;
  const maxWait = options.maxWaitMs ?? 100;
  const batchMs = options.batchMs ?? 20;
  const heavyBytes = options.heavyBytes ?? 1 << 16;
  const burstCheckMs = options.burstCheckMs ?? 50;
  const burstMaxMs = options.burstMaxMs ?? 1_000;
  const now = options.now ?? (() => performance.now());
  let finished = false;
  let wake: (() => void) | undefined;
  options.done.then(() => {}, () => {}).finally(() => {
    finished = true;
    wake?.();
  });
  let file: Deno.FsFile | undefined;
  let cancelled = false;
  let position = 0; // bytes read so far
  let wait = minWait;
  let resumeAt = Number.NEGATIVE_INFINITY; // no read before this time (after a batch)
  let draining = false; // reading everything there, chunk after chunk
  let burstSince: number | undefined;
  let burstSize = -1;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  /** Whether to read now; otherwise it paused, and the caller asks again. */
  const readNow = async (): Promise<boolean> => {
    const size = (await file!.stat()).size;
    const waiting = size - position;
    if (waiting <= 0) {
      await pause(wait);
      wait = Math.min(maxWait, wait * 2);
      return false;
    }
    wait = minWait;
    if (waiting >= heavyBytes) {
      burstSince ??= now();
      const growing = size !== burstSize;
      burstSize = size;
      if (growing && now() - burstSince < burstMaxMs) {
        await pause(burstCheckMs);
        return false;
      }
    }
    return true;
  };
  return new ReadableStream<Uint8Array>({
    async start() {
      file = await Deno.open(path, { read: true });
    },
    async pull(controller) {
      const rest = resumeAt - now();
      if (!finished && !draining && rest > 0) await pause(rest);
      while (!cancelled) {
        const last = finished;
        if (!last && !draining && !(await readNow())) continue;
        if (cancelled) break;
        const n = await file!.read(buf);
        if (n !== null && n > 0) {
          position += n;
          // A full buffer: more is waiting, read on at once. Otherwise caught up: the next batch a moment later.
          draining = n === buf.length;
          if (!draining) {
            burstSince = undefined;
            burstSize = -1;
            resumeAt = now() + batchMs;
          }
          controller.enqueue(buf.slice(0, n));
          return;
        }
        draining = false;
        if (last) break;
        await pause(wait);
      }
      if (cancelled) return;
      file?.close();
      file = undefined;
      controller.close();
    },
    cancel() {
      cancelled = true;
      wake?.();
      try {
        file?.close();
      } catch {
        // a read in flight closes it
      }
      file = undefined;
    },
  });
}
