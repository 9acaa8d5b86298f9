/**
 * Masking for wire traces (`--debug-wire`, `CLEARML_AGENT_DEBUG_WIRE=1`): JSON string fields that hold secrets
 * (`token`, `secret_key`, passwords) are replaced by `********` wherever they appear in a request or response
 * body, then registered secrets and URL passwords are masked (`redact`). A token is masked even in the very
 * answer that issues it, before anything could register it.
 *
 * @module
 */

import { MASK, redact } from "./redact.ts";

const SECRET_FIELDS =
  /"(token|secret_key|secret|password|pass|git_pass|docker_password|aws_secret_access_key)"(\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

/** An `Authorization`/`Cookie` header line inside a body (a malformed or pipelined request's header block). */
const HEADER_LINES = /^((?:proxy-)?authorization|cookie|set-cookie|x-clearml-auth-token)([ \t]*:[ \t]*).*$/gim;
/** A JSON Web Token anywhere (`eyJ<header>.<payload>.<signature>`), quoted or not. */
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** `Bearer <token>` / `Basic <credentials>` anywhere. */
const AUTH_SCHEMES = /\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/g;

/**
 * Mask secret JSON fields, credential header lines, tokens, registered secrets and URL passwords in a traced
 * body — whatever the body is, valid JSON or not.
 */
export function maskWire(text: string): string {
  return redact(
    text.replace(SECRET_FIELDS, `"$1"$2"${MASK}"`)
      .replace(HEADER_LINES, `$1$2${MASK}`)
      .replace(JWT, MASK)
      .replace(AUTH_SCHEMES, `$1$2${MASK}`),
  );
}

/** An `Authorization` header as it may be traced: the scheme only. */
export function maskAuthorization(value: string | null | undefined): string {
  if (!value) return "-";
  return `${value.split(" ")[0]} ${MASK}`;
}

/** Cut a traced body to `max` characters, saying how much was left out. */
export function clip(text: string, max = 4000): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}
