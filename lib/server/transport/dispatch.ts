/**
 * One API call from request to envelope: path → handler (404) → authentication (401) → body (400) → handler in
 * one SQLite transaction → envelope. Any failure becomes the upstream error envelope; unexpected exceptions are
 * logged with their stack and answered `500/0` without one.
 *
 * @module
 */

import type { Logger } from "../../logger.ts";
import { clip, maskAuthorization, maskWire } from "../../secrets/wire_mask.ts";
import type { Authenticator, AuthResult } from "../auth/auth.ts";
import { envelopeReply, type MetaInfo, type Reply } from "./envelope.ts";
import { errors, ServerError } from "../errors.ts";
import {
  BodyTooLargeError,
  clearmlHeader,
  MAX_BODY_BYTES,
  mergeQuery,
  parseBody,
  parsePath,
  readBody,
} from "./request_body.ts";
import { isObject, newId } from "../json.ts";
import { COMPANY_ID, COMPANY_NAME, type Db, type Identity } from "../storage/model.ts";
import { Params } from "../queries/params.ts";
import { type AppServices, type CallContext, type Endpoint, MAX_VERSION, parseVersion } from "../registry.ts";
import type { Registry } from "../registry.ts";
import type { NowFn } from "../time.ts";

/** Options for `Dispatcher`. */
export interface DispatcherOptions {
  registry: Registry;
  db: Db;
  auth: Authenticator;
  app: AppServices;
  clock: NowFn;
  log: Logger;
  /** Aborted when the server shuts down (releases long polls). */
  shutdown: AbortSignal;
  /** Body size cap in bytes. */
  maxBodyBytes?: number;
  /** Log every request and answer (masked) at info level (`--debug-wire`). */
  wireTrace?: boolean;
}

const ANONYMOUS: Identity = {
  user: "",
  company: COMPANY_ID,
  role: "guest",
  user_name: "",
  company_name: COMPANY_NAME,
};

/** Body types parsed as API data: what the SDK and both agents send (JSON, json-lines, forms from curl). */
const BODY_TYPES = /^(application\/(json|[\w.+-]+\+json|json-lines|x-ndjson|x-www-form-urlencoded))?$/;

/** One HTTP request as the transport hands it over. */
export interface IncomingCall {
  method: string;
  url: URL;
  headers: Headers;
  /** Peer address. */
  remoteAddr: string;
  /** The body bytes (read on every method). */
  body: AsyncIterable<Uint8Array>;
  /** Aborted when the client closes its connection (ends long polls without taking a task for nobody). */
  disconnected?: AbortSignal;
}

function clientIp(call: IncomingCall): string {
  const forwarded = call.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  if (forwarded) return forwarded;
  return call.headers.get("x-real-ip") ?? call.remoteAddr;
}

type CallInput =
  & Pick<CallContext, "endpoint" | "params" | "batch" | "version" | "identity" | "workerHeader" | "ip">
  & { disconnected?: AbortSignal };

/** Turns HTTP requests into API calls. */
export class Dispatcher {
  #o: DispatcherOptions;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** The handler's context: the call's data plus a transaction runner that fires after-commit hooks. */
  #context(input: CallInput): CallContext {
    const hooks: (() => void)[] = [];
    const runHooks = () => {
      for (const h of hooks.splice(0)) h();
    };
    const store = this.#o.db.store;
    const commitOnError = (err: unknown) => err instanceof ServerError && err.commit;
    const { disconnected, ...call } = input;
    return {
      ...call,
      db: this.#o.db,
      now: this.#o.clock(),
      // Long polls end at their own maximum wait, at shutdown, or when the client goes away.
      signal: disconnected ? AbortSignal.any([this.#o.shutdown, disconnected]) : this.#o.shutdown,
      app: this.#o.app,
      afterCommit: (fn) => hooks.push(fn),
      tx: <T>(fn: () => T): T => {
        try {
          const r = store.tx(fn, commitOnError);
          runHooks();
          return r;
        } catch (err) {
          if (commitOnError(err)) runHooks();
          hooks.length = 0;
          throw err;
        }
      },
    };
  }

  /** Run a handler: in one transaction unless it manages its own (`tx: false`). */
  async #run(ep: Endpoint, ctx: CallContext): Promise<unknown> {
    if (ep.tx === false) return await ep.handler(ctx);
    return ctx.tx(() => {
      const r = ep.handler(ctx);
      if (r instanceof Promise) throw new TypeError(`Handler of "${ep.name}" must be synchronous`);
      return r;
    });
  }

  /** Handle one HTTP request. */
  async handle(req: IncomingCall): Promise<Reply> {
    const started = performance.now();
    if (req.headers.get("content-encoding")) {
      return {
        status: 415,
        headers: { "server": "clearml", "content-type": "text/plain" },
        body: "Content encoding is not supported",
        close: true,
      };
    }
    const id = newId();
    const meta: MetaInfo = {
      id,
      trx: clearmlHeader(req.headers, "trx") ?? id,
      endpoint: null,
      requestedVersion: null,
      actualVersion: null,
      code: 200,
      subcode: 0,
      msg: "OK",
    };
    const url = req.url;
    let close = false;
    let auth: AuthResult | undefined;
    let data: unknown = {};
    try {
      const parsed = parsePath(url.pathname);
      if (!parsed) throw new ServerError(400, 0, `Invalid request path ${url.pathname}`);
      meta.endpoint = parsed.name;
      meta.requestedVersion = parsed.version ?? MAX_VERSION;
      const version = parseVersion(meta.requestedVersion);
      if (!version) throw errors.invalidVersion(undefined, { version: meta.requestedVersion });
      const ep = this.#o.registry.resolve(parsed.name, version);
      if (!ep) {
        throw new ServerError(
          404,
          0,
          `Unable to find endpoint for name ${parsed.name} and version ${meta.requestedVersion}`,
        );
      }
      meta.actualVersion = ep.minVersion;
      const ip = clientIp(req);
      const workerHeader = clearmlHeader(req.headers, "worker");
      if (ep.authorize !== false) {
        auth = await this.#o.auth.authenticate(
          req.headers.get("authorization"),
          req.headers.get("cookie"),
          workerHeader ?? ip,
        );
      }
      const declared = req.headers.get("content-length");
      const cap = this.#o.maxBodyBytes ?? MAX_BODY_BYTES;
      const bytes = await readBody(req.body, declared ? Number(declared) : undefined, cap);
      if (this.#o.wireTrace) this.#traceRequest(req, bytes);
      const contentType = req.headers.get("content-type") ?? "";
      // A repeated header arrives joined with commas: its first value counts.
      if (bytes.length > 0 && !BODY_TYPES.test(contentType.split(/[;,]/)[0].trim().toLowerCase())) {
        // A browser sends text/plain without a CORS preflight: such a body is never taken as API data.
        throw new ServerError(415, 0, `Unsupported content type "${clip(contentType, 100)}": send application/json`);
      }
      const reqData = parseBody(bytes, contentType, ep.batch === true);
      mergeQuery(reqData.body, url.searchParams);
      const ctx = this.#context({
        endpoint: parsed.name,
        params: new Params(reqData.body),
        batch: reqData.batch,
        version,
        identity: auth?.identity ?? ANONYMOUS,
        workerHeader,
        ip,
        disconnected: req.disconnected,
      });
      const result = await this.#run(ep, ctx);
      data = result === undefined || result === null ? {} : result;
      if (!isObject(data)) throw new TypeError(`Handler of "${ep.name}" returned a non-object`);
    } catch (err) {
      data = {};
      if (err instanceof BodyTooLargeError && !err.drained) close = true;
      if (err instanceof ServerError) {
        meta.code = err.code;
        meta.subcode = err.subcode;
        meta.msg = err.message;
      } else {
        meta.code = 500;
        meta.subcode = 0;
        meta.msg = `General data error (${err instanceof Error ? err.message : String(err)})`;
        this.#o.log.error(`${meta.endpoint ?? url.pathname}: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
    if (this.#o.log.enabled("debug")) {
      const who = auth ? ` auth=${auth.scheme}${auth.accessKey ? `:${auth.accessKey}` : ""}` : "";
      this.#o.log.debug(
        `${req.method} ${url.pathname} ${meta.code}/${meta.subcode} ${(performance.now() - started).toFixed(1)}ms` +
          who,
      );
    }
    const reply = envelopeReply(meta, data);
    if (this.#o.wireTrace) {
      this.#o.log.info(
        `wire <-- ${meta.code}/${meta.subcode} ${meta.endpoint ?? url.pathname} ${clip(maskWire(reply.body))}`,
      );
    }
    return { ...reply, close };
  }

  /** The envelope of a request refused before it reached an endpoint (foreign `Host` or `Origin`). */
  refuse(req: IncomingCall, code: number, msg: string): Reply {
    const id = newId();
    const reply = envelopeReply({
      id,
      trx: id,
      endpoint: parsePath(req.url.pathname)?.name ?? null,
      requestedVersion: null,
      actualVersion: null,
      code,
      subcode: 0,
      msg,
    }, {});
    if (this.#o.wireTrace) {
      this.#o.log.info(`wire <-- ${code}/0 ${req.method} ${req.url.pathname} refused: ${clip(maskWire(msg), 300)}`);
    }
    return { ...reply, close: true };
  }

  #traceRequest(req: IncomingCall, bytes: Uint8Array): void {
    const worker = clearmlHeader(req.headers, "worker");
    this.#o.log.info(
      `wire --> ${req.method} ${req.url.pathname}${req.url.search} auth=${
        maskAuthorization(req.headers.get("authorization"))
      }` +
        `${worker ? ` worker=${worker}` : ""} ${clip(maskWire(new TextDecoder().decode(bytes)))}`,
    );
  }
}
