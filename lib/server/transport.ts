/**
 * The HTTP transport of the server, on `node:http` rather than `Deno.serve`: Deno.serve drops request bodies on
 * GET, and the ClearML clients send their JSON bodies with GET. Tracks in-flight calls so that closing lets them
 * finish before connections are dropped.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "../log.ts";
import type { Dispatcher } from "./dispatch.ts";
import { envelopeReply, type Reply } from "./envelope.ts";
import { newId } from "./json.ts";

/** Options for `HttpTransport.listen`. */
export interface TransportOptions {
  dispatcher: Dispatcher;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
}

function errorReply(): Reply {
  return envelopeReply({
    id: newId(),
    trx: "",
    endpoint: null,
    requestedVersion: null,
    actualVersion: null,
    code: 500,
    subcode: 0,
    msg: "General data error",
  }, {});
}

function headersOf(req: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  }
  return h;
}

/** A listening HTTP server feeding a dispatcher. */
export class HttpTransport {
  #server: Server;
  #inFlight = new Set<Promise<void>>();
  #closing?: Promise<void>;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listen on `host:port`. */
  static listen(options: TransportOptions): Promise<HttpTransport> {
    const server = createServer();
    const transport = new HttpTransport(server);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const p = transport.#serve(options, req, res).catch(() => void res.destroy());
      transport.#inFlight.add(p);
      p.finally(() => transport.#inFlight.delete(p));
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve(transport);
      });
    });
  }

  /** The bound port. */
  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  async #serve(options: TransportOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await options.dispatcher.handle({
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", "http://localhost"),
        headers: headersOf(req),
        remoteAddr: req.socket.remoteAddress ?? "",
        body: req,
      });
    } catch (err) {
      options.log.error(`Unhandled request error: ${err instanceof Error ? err.stack : String(err)}`);
      reply = errorReply();
    }
    if (reply.close) res.setHeader("connection", "close");
    else req.resume(); // drain a body the call did not read, keeping the connection reusable
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  /** Stop accepting, let in-flight calls finish, then drop keep-alive connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new Promise<void>((r) => this.#server.close(() => r()));
      this.#server.closeIdleConnections();
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      this.#server.closeAllConnections();
      await closed;
    })();
    return this.#closing;
  }
}
