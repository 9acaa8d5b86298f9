/**
 * A recording HTTP proxy for tests: forwards every request (GET bodies included, through `node:http`) to the
 * server and keeps the JSON bodies of the endpoints asked for, so a test can check what the agent sent on the
 * wire.
 *
 * @module
 */

import http from "node:http";
import { Buffer } from "node:buffer";

/** One recorded request. */
export interface Recorded {
  endpoint: string;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A running proxy. */
export interface RecordingProxy {
  url: string;
  records: Recorded[];
  close(): Promise<void>;
}

/** Start a proxy in front of `target`, recording requests whose endpoint matches `record`. */
export function startRecordingProxy(target: string, record: RegExp): Promise<RecordingProxy> {
  const records: Recorded[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const endpoint = (req.url ?? "").replace(/^\/(v[\d.]+\/)?/, "").replace(/\?.*$/, "");
      if (record.test(endpoint)) {
        try {
          records.push({ endpoint, body: JSON.parse(body.toString("utf8")) });
        } catch {
          records.push({ endpoint, body: body.toString("utf8") });
        }
      }
      const headers = { ...req.headers, host: upstream.host, "content-length": String(body.length) };
      const out = http.request({
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers,
        agent: false,
      }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      out.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        records,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
