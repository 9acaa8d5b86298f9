/**
 * The response envelope (server-api.md §1.3): `{meta: {...}, data: {...}}` with HTTP status = `result_code`.
 * Versions are strings, except that for a requested version below 2.1 both are JSON numbers written with one
 * decimal (`2.0`), as upstream's float serialisation does.
 *
 * @module
 */

import { compareVersions, parseVersion } from "../registry.ts";

/** Everything that goes into `meta`. */
export interface MetaInfo {
  id: string;
  trx: string;
  endpoint: string | null;
  requestedVersion: string | null;
  actualVersion: string | null;
  code: number;
  subcode: number;
  msg: string;
  stack?: string | null;
}

function versionJson(text: string | null, numeric: boolean): string {
  if (text === null) return "null";
  if (!numeric) return JSON.stringify(text);
  const v = parseVersion(text);
  return v ? `${v[0]}.${v[1]}` : JSON.stringify(text);
}

/** Serialise an envelope. `data` must be a plain object (it always is: `{}` on errors). */
export function envelopeJson(meta: MetaInfo, data: unknown): string {
  const req = meta.requestedVersion ? parseVersion(meta.requestedVersion) : undefined;
  const numeric = req !== undefined && compareVersions(req, [2, 1]) < 0;
  const endpoint = meta.endpoint === null ? "null" : `{"name":${JSON.stringify(meta.endpoint)},` +
    `"requested_version":${versionJson(meta.requestedVersion, numeric)},` +
    `"actual_version":${versionJson(meta.actualVersion, numeric)}}`;
  return `{"meta":{"id":${JSON.stringify(meta.id)},"trx":${JSON.stringify(meta.trx)},"endpoint":${endpoint},` +
    `"result_code":${meta.code},"result_subcode":${meta.subcode},"result_msg":${JSON.stringify(meta.msg)},` +
    `"error_stack":${JSON.stringify(meta.stack ?? null)},"error_data":{}},"data":${JSON.stringify(data ?? {})}}`;
}

/** A reply body streamed from a file (files server downloads). */
export interface FileBody {
  path: string;
  size: number;
}

/** An HTTP answer, written by the transport (`server.ts`). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** Text, bytes, or a file streamed from disk. */
  body: string | Uint8Array | FileBody;
  /** Send the headers (with the body's length) but no body (`HEAD`). */
  headOnly?: boolean;
  /** Close the connection after the answer (the request body was not read). */
  close?: boolean;
}

const BASE_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "server": "clearml",
};

/** The HTTP answer for an envelope. */
export function envelopeReply(meta: MetaInfo, data: unknown): Reply & { body: string } {
  return { status: meta.code, headers: BASE_HEADERS, body: envelopeJson(meta, data) };
}
