/**
 * JSON Web Tokens for the server: HS256 signing and verification with `jose` (panva's JOSE library, already in the
 * binary as a dependency of `@kubernetes/client-node`). Clients decode our tokens without verifying them (they only
 * read claims), so the only requirement on the format is a standard, well-formed JWT. What this file adds is the
 * upstream (PyJWT) wording of each rejection, which the server puts after `reason=` in its 401/30 answer.
 *
 * @module
 */

import { errors, type JWTPayload, jwtVerify, SignJWT } from "jose";

/** Decode a token's payload without verifying it (what the clients do). */
export { decodeJwt } from "jose";

/** Why a token was rejected (the text after `reason=` in the 401/30 message). */
export class JwtError extends Error {
  override name = "JwtError";
}

/** PyJWT's wording for a claim `jose` refused (wrong type, or `nbf` in the future). */
const CLAIM_REASONS: Record<string, string> = {
  exp: "Expiration Time claim (exp) must be an integer",
  iat: "Issued At claim (iat) must be an integer",
  nbf: "The token is not yet valid (nbf)",
};

/** The upstream reason for a `jose` error. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "Signature has expired";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "Signature verification failed";
  if (err instanceof errors.JOSEAlgNotAllowed) return "The specified alg value is not allowed";
  if (err instanceof errors.JWTClaimValidationFailed) return CLAIM_REASONS[err.claim] ?? `Invalid "${err.claim}" claim`;
  if (err instanceof errors.JWTInvalid) return "Invalid payload string";
  if (err instanceof errors.JOSEError && /header/i.test(err.message)) return "Invalid header string";
  return "Invalid token encoding";
}

/** Import raw secret bytes as an HS256 key. */
export function importHs256Key(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** Sign a payload as a compact HS256 JWT. */
export function signJwt(payload: Record<string, unknown>, key: CryptoKey): Promise<string> {
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
}

/**
 * Verify signature, algorithm (HS256 only) and `exp` (seconds since the epoch, compared with `nowSec`); returns
 * the payload or throws `JwtError` with the upstream-style reason.
 */
export async function verifyJwt(token: string, key: CryptoKey, nowSec: number): Promise<Record<string, unknown>> {
  if (token.split(".").length !== 3) throw new JwtError("Not enough segments");
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], currentDate: new Date(nowSec * 1000) });
    return payload;
  } catch (err) {
    throw new JwtError(reasonOf(err), { cause: err });
  }
}
