/**
 * The SQLite store (`node:sqlite`, synchronous): opens the database in WAL mode, applies migrations, caches
 * prepared statements, and runs each API call in one write transaction (`BEGIN IMMEDIATE`), so a call is all or
 * nothing and two queue pollers can never pop the same entry.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { MIGRATIONS } from "./migrations.ts";

/** A value bound to a statement parameter. */
export type SqlValue = SQLInputValue;

/** A row as returned by `get`/`all`. */
export type Row = Record<string, SqlValue>;

/** Options for `Store.open`. */
export interface StoreOptions {
  /** Database file path, or `:memory:`. */
  path: string;
}

/** The database handle of one server. */
export class Store {
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #depth = 0;
  #closed = false;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Open (creating if needed) and migrate the database. */
  static open(options: StoreOptions): Store {
    const db = new DatabaseSync(options.path);
    const store = new Store(db);
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      if (options.path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
      // NORMAL in WAL mode survives a process crash (kill -9) without losing committed transactions.
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = OFF");
      store.#migrate();
    } catch (err) {
      db.close();
      throw err;
    }
    return store;
  }

  /** The schema version after migrations. */
  get schemaVersion(): number {
    const row = this.get("SELECT MAX(version) AS v FROM schema_migrations");
    return Number(row?.v ?? 0);
  }

  #migrate(): void {
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT, applied TEXT)",
    );
    const applied = new Set(this.all("SELECT version FROM schema_migrations").map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.tx(() => {
        this.#db.exec(m.sql);
        this.run(
          "INSERT INTO schema_migrations (version, description, applied) VALUES (?, ?, ?)",
          m.version,
          m.description,
          new Date().toISOString(),
        );
      });
    }
  }

  #prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Run a statement; returns the number of changed rows. */
  run(sql: string, ...params: SqlValue[]): number {
    return Number(this.#prepare(sql).run(...params).changes);
  }

  /** First row or `undefined`. */
  get(sql: string, ...params: SqlValue[]): Row | undefined {
    return this.#prepare(sql).get(...params) as Row | undefined;
  }

  /** All rows. */
  all(sql: string, ...params: SqlValue[]): Row[] {
    return this.#prepare(sql).all(...params) as Row[];
  }

  /** Execute a script of statements (no parameters). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** True while inside `tx`. */
  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  /**
   * Run `fn` in one write transaction: committed when it returns, rolled back when it throws (unless the error asks
   * for a commit, see `ServerError.commit`). Nested calls join the outer transaction.
   */
  tx<T>(fn: () => T, shouldCommitOnError: (err: unknown) => boolean = () => false): T {
    if (this.#depth > 0) return fn();
    this.#db.exec("BEGIN IMMEDIATE");
    this.#depth++;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.#depth--;
      this.#db.exec(shouldCommitOnError(err) ? "COMMIT" : "ROLLBACK");
      throw err;
    }
    this.#depth--;
    this.#db.exec("COMMIT");
    return result;
  }

  /** Checkpoint the WAL and close the database. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    try {
      this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // A failed checkpoint leaves the WAL for the next open, which replays it; closing still succeeds.
    }
    this.#db.close();
  }
}
