/**
 * The SQLite schema as an ordered list of migrations. `Store.open` applies the ones not yet recorded in the
 * `schema_migrations` table, each in its own transaction. Never edit a released migration: append a new one.
 *
 * Entities are stored as JSON documents (`doc`) with the columns queries need pulled out and indexed; `seq` keeps
 * the insertion order that upstream returns when no `order_by` is given.
 *
 * @module
 */

/** One schema step. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** All migrations, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "initial schema",
    sql: `
      CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE users (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE credentials (
        access_key TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        label TEXT,
        created TEXT NOT NULL,
        last_used TEXT,
        last_used_from TEXT
      );
      CREATE TABLE projects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL
      );
      CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        project TEXT,
        doc TEXT NOT NULL
      );
      CREATE INDEX tasks_status ON tasks (status);
      CREATE INDEX tasks_project ON tasks (project);
      CREATE TABLE queues (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL
      );
      CREATE TABLE queue_entries (
        queue TEXT NOT NULL,
        pos INTEGER NOT NULL,
        task TEXT NOT NULL,
        added TEXT NOT NULL,
        PRIMARY KEY (queue, pos)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX queue_entries_task ON queue_entries (queue, task);
      CREATE INDEX queue_entries_by_task ON queue_entries (task);
      CREATE TABLE workers (
        key TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX workers_id ON workers (id);
      CREATE TABLE worker_properties (
        worker TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (worker, key)
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        eid TEXT,
        task TEXT NOT NULL,
        type TEXT NOT NULL,
        ts INTEGER NOT NULL,
        iter INTEGER,
        metric TEXT NOT NULL,
        variant TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE UNIQUE INDEX events_eid ON events (eid) WHERE eid IS NOT NULL;
      CREATE INDEX events_task_type_ts ON events (task, type, ts);
    `,
  },
  {
    version: 2,
    description: "models",
    sql: `
      CREATE TABLE models (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        task TEXT,
        doc TEXT NOT NULL
      );
      CREATE INDEX models_task ON models (task);
    `,
  },
];
