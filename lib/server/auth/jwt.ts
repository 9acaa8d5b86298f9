/**
 * Minimal JSON Web Tokens: HS256 signing and verification with WebCrypto. Clients decode our tokens without
 * verifying them (they only read claims), so the only requirement on the format is a standard, well-formed JWT.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Why a token was rejected (the text after `reason=` in the 401/30 message). */
export class JwtError extends Error {
  override name = "JwtError";
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new JwtError("Invalid token encoding");
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/") + "===".slice((text.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
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
export async function signJwt(payload: Record<string, unknown>, key: CryptoKey): Promise<string> {
  const header = base64url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = base64url(encoder.encode(JSON.stringify(payload)));
  const signingInput = `${header}.${body}`;
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(signingInput)));
  return `${signingInput}.${base64url(sig)}`;
}

/** Decode the payload without verifying (what the clients do). */
export function decodeJwt(token: string): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtError("Not enough segments");
  try {
    const payload = JSON.parse(decoder.decode(fromBase64url(parts[1])));
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      throw new JwtError("Invalid payload");
    }
    return payload;
  } catch (err) {
    if (err instanceof JwtError) throw err;
    throw new JwtError("Invalid payload string", { cause: err });
  }
}

/**
 * Verify signature, algorithm and `exp` (seconds since the epoch, compared with `nowSec`); returns the payload or
 * throws `JwtError` with the upstream-style reason.
 */
export async function verifyJwt(token: string, key: CryptoKey, nowSec: number): Promise<Record<string, unknown>> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtError("Not enough segments");
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(fromBase64url(parts[0])));
  } catch (err) {
    throw new JwtError("Invalid header string", { cause: err });
  }
  if (typeof header !== "object" || header === null || (header as { alg?: unknown }).alg !== "HS256") {
    throw new JwtError("The specified alg value is not allowed");
  }
  const ok = await crypto.subtle.verify(
    "HMAC",
    key,
    fromBase64url(parts[2]) as Uint8Array<ArrayBuffer>,
    encoder.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!ok) throw new JwtError("Signature verification failed");
  const payload = decodeJwt(token);
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== "number") throw new JwtError("Expiration Time claim (exp) must be an integer");
    if (payload.exp <= nowSec) throw new JwtError("Signature has expired");
  }
  return payload;
}
