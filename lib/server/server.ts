/**
 * The embedded ClearML-compatible API server: `startServer()` opens the SQLite store in the data folder,
 * bootstraps the admin credentials and the `default` queue on first start, serves the API over its HTTP/1.1
 * transport (`transport/http1.ts`), runs the watchdog on a timer, and shuts down gracefully (in-flight calls finish, long polls are released, the
 * database is checkpointed and closed).
 *
 * @module
 */

import { join } from "node:path";
import { log as defaultLog, type Logger } from "../logger.ts";
import { registerSecret } from "../secrets/redact.ts";
import { Authenticator, SERVER_EXTENSIONS } from "./auth/auth.ts";
import { bootstrapAdmin, confSnippet } from "./auth/credentials.ts";
import { Dispatcher } from "./transport/dispatch.ts";
import { FILES_PREFIX, FilesServer, isFilesPath } from "./transport/files.ts";
import { Http1Server } from "./transport/http1.ts";
import { newId } from "./json.ts";
import { COMPANY_ID, Db } from "./storage/model.ts";
import { Notifier } from "./notifier.ts";
import { OriginPolicy } from "./transport/origin_policy.ts";
import type { AppServices } from "./registry.ts";
import { createRegistry } from "./services/mod.ts";
import { Store } from "./storage/store.ts";
import { isoDate, type NowFn, systemNow } from "./time.ts";
import { runWatchdog, type WatchdogReport } from "./watchdog.ts";
import { isWebPath, WebPage } from "./web/page_server.ts";

/** File names inside the data folder. */
export const DB_FILE = "clearml.db";
export const SNIPPET_FILE = "clearml.conf.snippet";
export const FILES_DIR = "files";

/** Options for `startServer`. */
export interface StartServerOptions {
  /** Data folder (created if missing). */
  dataDir: string;
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 8008 */
  port?: number;
  /** Admin credentials for the first start (a random pair is generated when absent). */
  accessKey?: string;
  secretKey?: string;
  /** Accept calls without valid credentials (as the admin). @default false */
  insecureOpen?: boolean;
  /** Where request logs (debug) and errors go. @default the process logger */
  log?: Logger;
  /** Time source (tests inject one). @default Date.now */
  clock?: NowFn;
  /** Watchdog period in ms; 0 disables the timer (tests call `runWatchdog`). @default 30000 */
  watchdogIntervalMs?: number;
  /** In-progress tasks silent this long are force-stopped. @default 7200 */
  staleTaskSec?: number;
  /** Request body cap in bytes. @default 64 MiB */
  maxBodyBytes?: number;
  /** Log every request and answer, secrets masked, at info level (`--debug-wire`). @default false */
  wireTrace?: boolean;
  /** Cap of one files-server upload in bytes. @default 8 GiB */
  maxUploadBytes?: number;
  /** Origins (besides the server's own) allowed to call the API from a browser (`--allow-origin`). */
  allowOrigins?: readonly string[];
  /** `Host` names answered besides the server's own names (`--allow-host`). */
  allowHosts?: readonly string[];
  /**
   * Offer our long poll (`queues.get_next_task` `wait_ms`, advertised in tokens and `server.info`); false
   * behaves like a real ClearML server (`server --no-long-poll`). @default true
   */
  longPoll?: boolean;
}

/** A running server. */
export interface ServerHandle {
  /** `http://host:port`. */
  url: string;
  /** The files server's base URL (`api.files_server`): `<url>/files`. */
  filesUrl: string;
  host: string;
  port: number;
  dataDir: string;
  /** True when this start created the database (and the admin credentials). */
  firstStart: boolean;
  /** The admin access key when known (first start or given). */
  accessKey?: string;
  /** The admin secret when known (first start or given). */
  secretKey?: string;
  /** Path of the `api { ... }` snippet (written on first start). */
  snippetPath: string;
  /** Run one watchdog pass now (at the injected clock's time). */
  runWatchdog(): WatchdogReport;
  /** Number of long polls waiting (tests). */
  readonly waitingPolls: number;
  /** Stop accepting, let in-flight calls finish, close the database. Idempotent. */
  close(): Promise<void>;
  /** Resolves when the server has closed. */
  finished: Promise<void>;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") {
    try {
      return Deno.hostname();
    } catch {
      return "localhost";
    }
  }
  return host.includes(":") ? `[${host}]` : host;
}

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, text, { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
}

function ensureDefaults(db: Db, now: number): string {
  return db.store.tx(() => {
    const uid = db.store.get("SELECT value FROM kv WHERE key = 'server_uid'");
    if (!db.store.get("SELECT 1 AS x FROM queues LIMIT 1")) {
      const admin = String(db.store.get("SELECT id FROM users ORDER BY rowid LIMIT 1")?.id ?? "");
      db.queues.insert({
        id: newId(),
        name: "default",
        company: COMPANY_ID,
        user: admin,
        created: isoDate(now),
        last_update: isoDate(now),
        tags: [],
        system_tags: ["default"],
        metadata: {},
      });
    }
    if (uid) return String(uid.value);
    const fresh = newId();
    db.store.run("INSERT INTO kv (key, value) VALUES ('server_uid', ?)", fresh);
    return fresh;
  });
}

/** Start a server; resolves once it listens. */
export async function startServer(options: StartServerOptions): Promise<ServerHandle> {
  const log = options.log ?? defaultLog;
  const clock = options.clock ?? systemNow;
  const host = options.host ?? "127.0.0.1";
  const policy = new OriginPolicy({
    listenHost: host,
    allowOrigins: options.allowOrigins,
    allowHosts: options.allowHosts,
  });
  await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const store = Store.open({ path: join(options.dataDir, DB_FILE) });
  const shutdown = new AbortController();
  let transport: Http1Server | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    const db = new Db(store);
    const admin = bootstrapAdmin(store, { accessKey: options.accessKey, secretKey: options.secretKey, now: clock() });
    const serverUid = ensureDefaults(db, clock());
    registerSecret(admin.secretKey ?? options.secretKey);
    const longPoll = options.longPoll ?? true;
    const auth = await Authenticator.create({
      store,
      clock,
      admin,
      insecureOpen: options.insecureOpen ?? false,
      extensions: longPoll ? SERVER_EXTENSIONS : [],
    });
    const notifier = new Notifier();
    const app: AppServices = {
      issueToken: (identity, exp) => auth.issueToken(identity, exp),
      credentials: {
        create: (user, label, now) => auth.createCredentials(user, label, now),
        list: (user) => auth.listCredentials(user),
        revoke: (user, key) => auth.revokeCredentials(user, key),
        edit: (user, key, label) => auth.editCredentials(user, key, label),
      },
      notify: (key) => notifier.notify(key),
      waitFor: (key, ms, signal) => notifier.wait(key, ms, signal),
      serverUid,
      longPoll,
      taskStaleSec: options.staleTaskSec ?? 7200,
    };
    const dispatcher = new Dispatcher({
      registry: createRegistry(),
      db,
      auth,
      app,
      clock,
      log,
      shutdown: shutdown.signal,
      maxBodyBytes: options.maxBodyBytes,
      wireTrace: options.wireTrace,
    });
    const files = new FilesServer({
      root: join(options.dataDir, FILES_DIR),
      auth,
      log,
      maxUploadBytes: options.maxUploadBytes,
      wireTrace: options.wireTrace,
    });
    const page = new WebPage({ auth, issueToken: app.issueToken });
    transport = Http1Server.listen({
      host,
      port: options.port ?? 8008,
      handler: async (call) => {
        const isFiles = isFilesPath(call.url.pathname);
        const isWeb = !isFiles && isWebPath(call.url.pathname);
        const verdict = policy.check(call.headers);
        if (!verdict.ok) {
          log.debug(`refused ${call.method} ${call.url.pathname}: ${verdict.reason}`);
          if (!isFiles && !isWeb) return dispatcher.refuse(call, 403, verdict.reason);
          return {
            status: 403,
            headers: { "content-type": "text/plain; charset=utf-8" },
            body: verdict.reason,
            close: true,
          };
        }
        // A preflight (API or files) from an allowed origin: the CORS headers say what may follow.
        if (call.method === "OPTIONS") {
          return { status: 200, headers: { "server": "clearml", ...verdict.cors }, body: "" };
        }
        const reply = isFiles
          ? await files.handle(call)
          : isWeb
          ? await page.handle(call)
          : await dispatcher.handle(call);
        return { ...reply, headers: { ...reply.headers, ...verdict.cors } };
      },
      log,
      now: clock,
    });
    const port = transport.port;
    const url = `http://${urlHost(host)}:${port}`;
    const snippetPath = join(options.dataDir, SNIPPET_FILE);
    if (admin.created) await writePrivate(snippetPath, confSnippet(url, admin.accessKey!, admin.secretKey!));
    const staleSec = options.staleTaskSec ?? 7200;
    const watchdog = () => runWatchdog(db, clock(), staleSec);
    const interval = options.watchdogIntervalMs ?? 30_000;
    if (interval > 0) {
      const t = setInterval(() => {
        try {
          const r = watchdog();
          if (r.expiredWorkers.length > 0 || r.stoppedTasks.length > 0) {
            log.debug(
              `watchdog: expired workers ${r.expiredWorkers.join(", ") || "-"}; ` +
                `stopped tasks ${r.stoppedTasks.join(", ") || "-"}`,
            );
          }
        } catch (err) {
          log.error(`watchdog failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }, interval);
      Deno.unrefTimer(t);
      timer = t;
    }
    const srv = transport;
    let closing: Promise<void> | undefined;
    let markFinished = () => {};
    const finished = new Promise<void>((r) => (markFinished = r));
    const close = () => {
      closing ??= (async () => {
        clearInterval(timer);
        shutdown.abort();
        await srv.close();
        store.close();
        markFinished();
      })();
      return closing;
    };
    return {
      url,
      filesUrl: `${url}${FILES_PREFIX}`,
      host,
      port,
      dataDir: options.dataDir,
      firstStart: admin.created,
      accessKey: admin.accessKey ?? options.accessKey,
      secretKey: admin.secretKey ?? options.secretKey,
      snippetPath,
      runWatchdog: watchdog,
      get waitingPolls() {
        return notifier.waiting;
      },
      close,
      finished,
    };
  } catch (err) {
    clearInterval(timer);
    shutdown.abort();
    await transport?.close();
    store.close();
    throw err;
  }
}
