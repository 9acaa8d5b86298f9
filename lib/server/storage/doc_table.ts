/**
 * A table of JSON documents keyed by `id`, with a few columns mirrored from the document for indexed lookups.
 * Used for tasks, queues and projects.
 *
 * @module
 */

import type { Doc } from "../json.ts";
import type { SqlValue, Store } from "./store.ts";

/** Maps a document to its mirrored column values. */
export type ColumnsOf<T extends Doc> = (doc: T) => Record<string, SqlValue>;

/** CRUD over one document table. */
export class DocTable<T extends Doc & { id: string }> {
  readonly #store: Store;
  readonly #table: string;
  readonly #columns: ColumnsOf<T>;
  readonly #columnNames: string[];

  constructor(store: Store, table: string, columns: ColumnsOf<T>, columnNames: string[]) {
    this.#store = store;
    this.#table = table;
    this.#columns = columns;
    this.#columnNames = columnNames;
  }

  /** The document with this id, or `undefined`. */
  get(id: string): T | undefined {
    const row = this.#store.get(`SELECT doc FROM ${this.#table} WHERE id = ?`, id);
    return row ? JSON.parse(String(row.doc)) as T : undefined;
  }

  /** True when a document with this id exists. */
  exists(id: string): boolean {
    return this.#store.get(`SELECT 1 AS x FROM ${this.#table} WHERE id = ?`, id) !== undefined;
  }

  /** The documents with these ids, in insertion order (unknown ids skipped). */
  getMany(ids: readonly string[]): T[] {
    if (ids.length === 0) return [];
    const out: T[] = [];
    // SQLite limits bound parameters; chunk long id lists.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const marks = chunk.map(() => "?").join(",");
      const rows = this.#store.all(`SELECT seq, doc FROM ${this.#table} WHERE id IN (${marks})`, ...chunk);
      for (const r of rows) out.push({ ...JSON.parse(String(r.doc)), __seq: Number(r.seq) });
    }
    out.sort((a, b) => Number(a.__seq) - Number(b.__seq));
    for (const d of out) delete d.__seq;
    return out;
  }

  /** Every document matching an optional SQL condition on the mirrored columns, in insertion order. */
  all(where = "", ...params: SqlValue[]): T[] {
    const rows = this.#store.all(
      `SELECT doc FROM ${this.#table} ${where ? "WHERE " + where : ""} ORDER BY seq`,
      ...params,
    );
    return rows.map((r) => JSON.parse(String(r.doc)) as T);
  }

  /** Insert a new document. */
  insert(doc: T): void {
    const cols = this.#columns(doc);
    const names = ["id", "doc", ...this.#columnNames];
    const values: SqlValue[] = [doc.id, JSON.stringify(doc), ...this.#columnNames.map((c) => cols[c] ?? null)];
    this.#store.run(
      `INSERT INTO ${this.#table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
      ...values,
    );
  }

  /** Replace an existing document. */
  update(doc: T): void {
    const cols = this.#columns(doc);
    const sets = ["doc = ?", ...this.#columnNames.map((c) => `${c} = ?`)];
    this.#store.run(
      `UPDATE ${this.#table} SET ${sets.join(", ")} WHERE id = ?`,
      JSON.stringify(doc),
      ...this.#columnNames.map((c) => cols[c] ?? null),
      doc.id,
    );
  }

  /** Delete by id; returns true when a row went away. */
  delete(id: string): boolean {
    return this.#store.run(`DELETE FROM ${this.#table} WHERE id = ?`, id) > 0;
  }
}
