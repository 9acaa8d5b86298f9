import assert from "node:assert/strict";
import { join } from "node:path";
import { Store } from "../../../lib/server/storage/store.ts";
import { MIGRATIONS } from "../../../lib/server/storage/migrations.ts";
import { ServerError } from "../../../lib/server/errors.ts";

Deno.test("Store.open() applies migrations once, records them and uses WAL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "clearml-store-test-" });
  try {
    const path = join(dir, "x.db");
    const s1 = Store.open({ path });
    assert.equal(s1.schemaVersion, MIGRATIONS[MIGRATIONS.length - 1].version);
    assert.equal(s1.get("PRAGMA journal_mode")?.journal_mode, "wal");
    s1.run("INSERT INTO kv (key, value) VALUES ('a', '1')");
    s1.close();
    s1.close();
    const s2 = Store.open({ path });
    assert.equal(s2.all("SELECT * FROM schema_migrations").length, MIGRATIONS.length);
    assert.equal(s2.get("SELECT value FROM kv WHERE key = 'a'")?.value, "1");
    s2.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Store.tx() commits on return, rolls back on throw, commits on a ServerError asking for it", () => {
  const s = Store.open({ path: ":memory:" });
  try {
    s.tx(() => s.run("INSERT INTO kv (key, value) VALUES ('ok', '1')"));
    assert.throws(() =>
      s.tx(() => {
        s.run("INSERT INTO kv (key, value) VALUES ('gone', '1')");
        s.tx(() => s.run("INSERT INTO kv (key, value) VALUES ('nested', '1')"));
        throw new Error("boom");
      })
    );
    const keep = new ServerError(400, 101, "x", { commit: true });
    assert.throws(() =>
      s.tx(() => {
        s.run("INSERT INTO kv (key, value) VALUES ('kept', '1')");
        throw keep;
      }, (err) => err instanceof ServerError && err.commit)
    );
    assert.deepEqual(s.all("SELECT key FROM kv ORDER BY key").map((r) => r.key), ["kept", "ok"]);
    assert.equal(s.inTransaction, false);
  } finally {
    s.close();
  }
});
