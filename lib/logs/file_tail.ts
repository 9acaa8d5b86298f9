/**
 * Reading a task's output from the file it writes to, instead of from a pipe: the task (and everything it starts)
 * appends to a file of its own, so it never waits for the agent — a pipe holds 64 KiB, and a child whose reader
 * is busy blocks in `write`. The agent reads the file in large chunks (256 KiB a read; when a read fills it, the
 * next follows at once, so there is no throughput limit) until it has caught up, then pauses: 20 ms (`batchMs`)
 * after a little output, 250 ms (`heavyMs`) after a burst of 64 KiB or more — a chatty task's lines are handled in
 * a few large batches, not one per `print`, and its bursts run without the agent competing for the CPU — and, with
 * nothing new, again after a pause that starts at 5 ms and doubles up to 100 ms (the first line of a quiet task
 * shows within 5 ms). Once `done` resolves (the task's process tree is gone), it reads to the end and closes: no
 * byte written before that is lost.
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
  /** Largest chunk. @default 65536 */
  chunkBytes?: number;
  /** First and longest pause at the end of the file (ms). @default 5 and 100 */
  minWaitMs?: number;
  maxWaitMs?: number;
  /** Pause after a read that brought data but did not fill the buffer (ms). @default 20 */
  batchMs?: number;
  /** Pause instead of `batchMs` when at least `heavyBytes` came since the last pause. @default 250 and 65536 */
  heavyMs?: number;
  heavyBytes?: number;
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
  let finished = false;
  let wake: (() => void) | undefined;
  options.done.then(() => {}, () => {}).finally(() => {
    finished = true;
    wake?.();
  });
  let file: Deno.FsFile | undefined;
  let cancelled = false;
  const batchMs = options.batchMs ?? 20;
  const heavyMs = options.heavyMs ?? 250;
  const heavyBytes = options.heavyBytes ?? 1 << 16;
  let wait = minWait;
  let lastData = Number.NEGATIVE_INFINITY;
  let nextPause = 0;
  let drained = 0;
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
  return new ReadableStream<Uint8Array>({
    async start() {
      file = await Deno.open(path, { read: true });
    },
    async pull(controller) {
      const since = performance.now() - lastData;
      if (!finished && since < nextPause) await pause(nextPause - since);
      while (!cancelled) {
        const last = finished;
        const n = await file!.read(buf);
        if (n !== null && n > 0) {
          wait = minWait;
          drained += n;
          lastData = performance.now();
          if (n === buf.length) {
            nextPause = 0; // more is waiting: read it at once
          } else {
            // Caught up. After a burst, leave the task alone a while: its output waits in the file, not in it.
            nextPause = drained >= heavyBytes ? heavyMs : batchMs;
            drained = 0;
          }
          controller.enqueue(buf.slice(0, n));
          return;
        }
        if (last) break;
        await pause(wait);
        wait = Math.min(maxWait, wait * 2);
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
