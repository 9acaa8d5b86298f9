/**
 * An on-disk, append-only log spool: every line is written to disk (JSON lines, one record each, numbered)
 * before anyone tries to send it, the last acknowledged sequence number is recorded, and a new process that
 * opens the same directory resumes with the lines that were never acknowledged.
 *
 * Layout of the directory:
 * - `<first seq, 16 digits>.jsonl`: segments of records `{"seq":1,"ts":…,"level":"DEBUG","text":"…"}`;
 *   a new segment starts when the current one reaches `segmentBytes`, and fully acknowledged segments are
 *   deleted;
 * - `acked`: the last acknowledged sequence number (written aside and renamed into place).
 *
 * The total size is capped (`maxBytes`). Only when the cap is hit are lines dropped, and then a marker line
 * `[clearml-agent] N log lines dropped: …` takes their place as soon as space allows (at the latest on close).
 * A torn last line (the process died mid-write) is cut off when the spool is opened.
 *
 * Durability: records are handed to the kernel (`write`) before they can be read for sending, which survives a
 * crash of the agent; with `fsync` they are also flushed to the device before being read.
 *
 * @module
 */

import { join } from "node:path";
import { droppedMarker, type LogQueue, type LogRecord, type ReadLimits } from "./log_queue.ts";
import { isLogLevel, type LogLevel } from "../wire/log_event.ts";

/** Options of `LogSpool.open`. */
export interface LogSpoolOptions {
  /** Cap on the bytes of all segments. @default 256 MiB */
  maxBytes?: number;
  /** Size at which a new segment file starts. @default 4 MiB */
  segmentBytes?: number;
  /** Flush written records to the device before they are read for sending. @default false */
  fsync?: boolean;
  /** @default Date.now */
  now?: () => number;
}

interface Segment {
  first: number;
  path: string;
  bytes: number;
}

const SEGMENT_RE = /^(\d{16})\.jsonl$/;
const MARKER_RESERVE = 1024;
const encoder = new TextEncoder();
const NON_ASCII = /[\u0080-\uffff]/;
/** Most characters of lines kept in memory for the reader while it keeps up (see `readNext`). */
const RECENT_MAX_CHARS = 8 * 1024 * 1024;

/** One encoded record: its JSON line and that line's size in bytes. */
interface Encoded {
  line: string;
  bytes: number;
}
const decoder = new TextDecoder();

function segmentName(first: number): string {
  return `${String(first).padStart(16, "0")}.jsonl`;
}

function parseRecord(line: string): LogRecord | null {
  try {
    const r = JSON.parse(line);
    if (Number.isInteger(r?.seq) && typeof r.text === "string" && isLogLevel(r.level)) return r;
  } catch {
    // torn or foreign line
  }
  return null;
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/** A durable `LogQueue` in a directory. One process at a time may have a directory open. */
export class LogSpool implements LogQueue {
  readonly dir: string;
  #segments: Segment[] = [];
  #writer: Deno.FsFile | null = null;
  /** Encoded records of the current append call, written together (one write per call, not per line). */
  #buffered: string[] = [];
  /**
   * The records appended by this process that the reader has not taken yet, with where each ends on disk — kept
   * while the reader keeps up (a contiguous run right after its cursor, at most `RECENT_MAX_CHARS`), so that
   * `readNext` need not read back and parse what was just written. Dropped (the reader then reads the disk) as
   * soon as a record cannot be kept.
   */
  #recent: { rec: LogRecord; first: number; end: number }[] = [];
  #recentChars = 0;
  #bytes = 0;
  #lastSeq = 0;
  #ackedSeq = 0;
  #readSeq = 0;
  /** Read cursor: segment (by first seq) and byte offset in it. */
  #cursor = { first: 1, offset: 0 };
  #dropped = 0;
  #pendingDrop = 0;
  #closed = false;
  #maxBytes: number;
  #segmentBytes: number;
  #fsync: boolean;
  #now: () => number;

  private constructor(dir: string, options: LogSpoolOptions) {
    this.dir = dir;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    this.#fsync = options.fsync ?? false;
    this.#now = options.now ?? Date.now;
  }

  /** Open (creating if needed) the spool in `dir`, recovering its state from a previous process. */
  static open(dir: string, options: LogSpoolOptions = {}): LogSpool {
    Deno.mkdirSync(dir, { recursive: true });
    const spool = new LogSpool(dir, options);
    spool.#recover();
    return spool;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }
  get ackedSeq(): number {
    return this.#ackedSeq;
  }
  get readSeq(): number {
    return this.#readSeq;
  }
  get droppedLines(): number {
    return this.#dropped;
  }
  /** Bytes currently on disk in segments. */
  get bytes(): number {
    return this.#bytes;
  }

  #recover(): void {
    try {
      const acked = Number(Deno.readTextFileSync(join(this.dir, "acked")).trim());
      if (Number.isInteger(acked) && acked >= 0) this.#ackedSeq = acked;
    } catch {
      // no acknowledgement yet: everything on disk is unsent
    }
    for (const entry of Deno.readDirSync(this.dir)) {
      const m = SEGMENT_RE.exec(entry.name);
      if (!m || !entry.isFile) continue;
      const path = join(this.dir, entry.name);
      this.#segments.push({ first: Number(m[1]), path, bytes: Deno.statSync(path).size });
    }
    this.#segments.sort((a, b) => a.first - b.first);
    this.#lastSeq = this.#ackedSeq;
    const last = this.#segments[this.#segments.length - 1];
    if (last) this.#lastSeq = Math.max(this.#lastSeq, this.#repairTail(last));
    for (const s of this.#segments) this.#bytes += s.bytes;
    this.#dropAcked();
    this.#readSeq = this.#ackedSeq;
    this.#cursor = this.#findRecord(this.#ackedSeq + 1);
  }

  /** Cut a torn final line off `seg`; returns the last sequence number in it. */
  #repairTail(seg: Segment): number {
    const text = decoder.decode(Deno.readFileSync(seg.path));
    let good = 0;
    let lastSeq = seg.first - 1;
    for (let start = 0, nl = text.indexOf("\n"); nl >= 0; start = nl + 1, nl = text.indexOf("\n", start)) {
      const rec = parseRecord(text.slice(start, nl));
      if (rec === null) break;
      lastSeq = rec.seq;
      good = nl + 1;
    }
    const goodBytes = encoder.encode(text.slice(0, good)).length;
    if (goodBytes !== seg.bytes) Deno.truncateSync(seg.path, goodBytes);
    seg.bytes = goodBytes;
    return lastSeq;
  }

  /** Cursor position of record `seq` (or the end, if it is not written yet). */
  #findRecord(seq: number): { first: number; offset: number } {
    const seg = [...this.#segments].reverse().find((s) => s.first <= seq);
    if (!seg) return { first: this.#segments[0]?.first ?? seq, offset: 0 };
    const bytes = Deno.readFileSync(seg.path);
    let offset = 0;
    while (offset < bytes.length) {
      const nl = bytes.indexOf(0x0a, offset);
      if (nl < 0) break;
      const rec = parseRecord(decoder.decode(bytes.subarray(offset, nl)));
      if (rec && rec.seq >= seq) break;
      offset = nl + 1;
    }
    return { first: seg.first, offset };
  }

  /** Delete segments whose records are all acknowledged. */
  #dropAcked(): void {
    while (this.#segments.length > 0) {
      const [seg, next] = this.#segments;
      const lastInSeg = next ? next.first - 1 : this.#lastSeq;
      if (lastInSeg > this.#ackedSeq) break;
      if (!next) {
        this.#writer?.close();
        this.#writer = null;
      }
      Deno.removeSync(seg.path);
      this.#bytes -= seg.bytes;
      this.#segments.shift();
      if (this.#cursor.first === seg.first) this.#cursor = { first: next?.first ?? this.#lastSeq + 1, offset: 0 };
    }
  }

  append(text: string, options: { level?: LogLevel; ts?: number } = {}): number | null {
    return this.appendMany([text], options);
  }

  /** Append lines with one write per segment (not one per line); the last one's sequence number, or `null`. */
  appendMany(texts: readonly string[], options: { level?: LogLevel; ts?: number } = {}): number | null {
    if (this.#closed) throw new Error(`Cannot append to log spool "${this.dir}": it is closed`);
    const ts = options.ts ?? this.#now();
    const level = options.level ?? "DEBUG";
    let seq: number | null = null;
    try {
      for (const text of texts) seq = this.#appendOne(text, ts, level);
    } finally {
      this.#flushBuffered();
    }
    return seq;
  }

  #appendOne(text: string, ts: number, level: LogLevel): number | null {
    if (this.#pendingDrop > 0 && !this.#writeMarker(ts, MARKER_RESERVE)) return this.#drop();
    const line = this.#encode(this.#lastSeq + 1, ts, level, text);
    if (this.#bytes + line.bytes > this.#maxBytes - MARKER_RESERVE) return this.#drop();
    return this.#write(line, { ts, level, text });
  }

  #flushBuffered(): void {
    if (this.#buffered.length === 0) return;
    const parts = this.#buffered;
    this.#buffered = [];
    const active = this.#segments[this.#segments.length - 1];
    this.#writer ??= Deno.openSync(active.path, { append: true, create: true });
    writeAll(this.#writer, encoder.encode(parts.length === 1 ? parts[0] : parts.join("")));
  }

  #drop(): null {
    this.#dropped++;
    this.#pendingDrop++;
    return null;
  }

  #encode(seq: number, ts: number, level: LogLevel, text: string): Encoded {
    const line = JSON.stringify({ seq, ts, level, text }) + "\n";
    return { line, bytes: NON_ASCII.test(line) ? encoder.encode(line).length : line.length };
  }

  /** Write the dropped-lines marker if it fits below `cap - reserve`; true when written. */
  #writeMarker(ts: number, reserve: number): boolean {
    const text = droppedMarker(this.#pendingDrop, `log spool "${this.dir}" reached its cap of ${this.#maxBytes} bytes`);
    const line = this.#encode(this.#lastSeq + 1, ts, "WARNING", text);
    if (this.#bytes + line.bytes > this.#maxBytes - reserve) return false;
    this.#write(line, { ts, level: "WARNING", text });
    this.#pendingDrop = 0;
    return true;
  }

  #write(line: Encoded, fields: Omit<LogRecord, "seq">): number {
    let active = this.#segments[this.#segments.length - 1];
    if (!active || (active.bytes > 0 && active.bytes + line.bytes > this.#segmentBytes)) {
      this.#flushBuffered();
      this.#writer?.close();
      active = { first: this.#lastSeq + 1, path: join(this.dir, segmentName(this.#lastSeq + 1)), bytes: 0 };
      this.#segments.push(active);
      this.#writer = null;
    }
    this.#buffered.push(line.line);
    active.bytes += line.bytes;
    this.#bytes += line.bytes;
    const seq = ++this.#lastSeq;
    const keep = (this.#recent.length > 0 || this.#readSeq === seq - 1) &&
      this.#recentChars + fields.text.length <= RECENT_MAX_CHARS;
    if (keep) {
      this.#recent.push({ rec: { seq, ...fields }, first: active.first, end: active.bytes });
      this.#recentChars += fields.text.length;
    } else if (this.#recent.length > 0) {
      this.#recent = [];
      this.#recentChars = 0;
    }
    return seq;
  }

  /** `readNext` from the records kept in memory; `null` when they do not start right after the cursor. */
  #readRecent(limits: ReadLimits): LogRecord[] | null {
    if (this.#recent.length === 0 || this.#recent[0].rec.seq !== this.#readSeq + 1) {
      this.#recent = [];
      this.#recentChars = 0;
      return null;
    }
    let n = 0;
    let chars = 0;
    while (n < this.#recent.length && n < limits.maxRecords) {
      const len = this.#recent[n].rec.text.length;
      if (n > 0 && chars + len > limits.maxChars) break;
      chars += len;
      n++;
    }
    const taken = this.#recent.splice(0, n);
    this.#recentChars -= chars;
    const last = taken[taken.length - 1];
    this.#cursor = { first: last.first, offset: last.end };
    this.#readSeq = last.rec.seq;
    return taken.map((t) => t.rec);
  }

  readNext(limits: ReadLimits): LogRecord[] {
    if (this.#readSeq >= this.#lastSeq) return [];
    if (this.#fsync) this.#writer?.syncDataSync();
    const recent = this.#readRecent(limits);
    if (recent) return recent;
    const out: LogRecord[] = [];
    let chars = 0;
    while (out.length < limits.maxRecords) {
      const segIndex = this.#segments.findIndex((s) => s.first === this.#cursor.first);
      if (segIndex < 0) break;
      const seg = this.#segments[segIndex];
      if (this.#cursor.offset >= seg.bytes) {
        const next = this.#segments[segIndex + 1];
        if (!next) break;
        this.#cursor = { first: next.first, offset: 0 };
        continue;
      }
      const budget = Math.max(64 * 1024, limits.maxChars * 4);
      const bytes = this.#readAt(seg.path, this.#cursor.offset, Math.min(budget, seg.bytes - this.#cursor.offset));
      let used = 0;
      let full = false;
      for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, used)) {
        const rec = parseRecord(decoder.decode(bytes.subarray(used, nl)));
        if (rec === null) {
          throw new Error(`Corrupt record in log spool "${seg.path}" at byte ${this.#cursor.offset + used}`);
        }
        if (out.length > 0 && (chars + rec.text.length > limits.maxChars || out.length >= limits.maxRecords)) {
          full = true;
          break;
        }
        out.push(rec);
        chars += rec.text.length;
        used = nl + 1;
      }
      if (used === 0 && !full) {
        // A single record larger than the read window: read it whole, alone if it is over the budget.
        if (out.length > 0) break;
        const rest = this.#readAt(seg.path, this.#cursor.offset, seg.bytes - this.#cursor.offset);
        const nl = rest.indexOf(0x0a);
        const rec = parseRecord(decoder.decode(rest.subarray(0, nl)));
        if (nl < 0 || rec === null) throw new Error(`Corrupt record in log spool "${seg.path}"`);
        out.push(rec);
        chars += rec.text.length;
        used = nl + 1;
      }
      this.#cursor = { first: seg.first, offset: this.#cursor.offset + used };
      if (full) break;
    }
    if (out.length > 0) this.#readSeq = out[out.length - 1].seq;
    return out;
  }

  #readAt(path: string, offset: number, length: number): Uint8Array {
    const file = Deno.openSync(path, { read: true });
    try {
      file.seekSync(offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = file.readSync(buf.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      file.close();
    }
  }

  ack(seq: number): void {
    if (seq <= this.#ackedSeq) return;
    this.#ackedSeq = Math.min(seq, this.#lastSeq);
    const path = join(this.dir, "acked");
    Deno.writeTextFileSync(`${path}.tmp`, `${this.#ackedSeq}\n`);
    Deno.renameSync(`${path}.tmp`, path);
    this.#dropAcked();
    if (this.#pendingDrop > 0 && !this.#closed) this.#writeMarker(this.#now(), MARKER_RESERVE);
  }

  /** Close the files; a pending dropped-lines marker is written into the reserved space first. */
  close(): void {
    if (this.#closed) return;
    if (this.#pendingDrop > 0) this.#writeMarker(this.#now(), 0);
    this.#flushBuffered();
    this.#closed = true;
    this.#writer?.close();
    this.#writer = null;
  }
}
