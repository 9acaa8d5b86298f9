/**
 * Lines from a byte stream (the terminal's standard input for the `init` wizard), one at a time, without
 * their `\n` / `\r\n`; null at the end of input. The stream is locked on the first read only.
 *
 * @module
 */

/** Reads lines from a stream. */
export class LineReader {
  #stream: ReadableStream<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #decoder = new TextDecoder();
  #buffer = "";
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#stream = stream;
  }

  /** The next line; null once the input has ended and nothing is left. */
  async readLine(): Promise<string | null> {
    while (true) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl).replace(/\r$/, "");
        this.#buffer = this.#buffer.slice(nl + 1);
        return line;
      }
      if (this.#done) {
        if (this.#buffer === "") return null;
        const rest = this.#buffer;
        this.#buffer = "";
        return rest;
      }
      this.#reader ??= this.#stream.getReader();
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
        this.#buffer += this.#decoder.decode();
      } else {
        this.#buffer += this.#decoder.decode(value, { stream: true });
      }
    }
  }

  /** Release the stream (a no-op when nothing was read). */
  release(): void {
    this.#reader?.releaseLock();
    this.#reader = undefined;
  }
}
