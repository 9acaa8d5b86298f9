import assert from "node:assert/strict";
import { decodeJwt, importHs256Key, JwtError, signJwt, verifyJwt } from "../../../lib/server/auth/jwt.ts";

const key = await importHs256Key(new TextEncoder().encode("0123456789abcdef0123456789abcdef"));
const otherKey = await importHs256Key(new TextEncoder().encode("another-secret-another-secret-xx"));

Deno.test("signJwt() produces a standard HS256 token that decodes without verification", async () => {
  const token = await signJwt({ a: 1, exp: 2000 }, key);
  const [header, , sig] = token.split(".");
  assert.deepEqual(JSON.parse(atob(header)), { alg: "HS256", typ: "JWT" });
  assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(decodeJwt(token), { a: 1, exp: 2000 });
});

Deno.test("verifyJwt() rejects expired, tampered, foreign and malformed tokens", async () => {
  const token = await signJwt({ a: 1, exp: 2000 }, key);
  assert.deepEqual(await verifyJwt(token, key, 1999), { a: 1, exp: 2000 });
  const cases: [string, string, number, CryptoKey][] = [
    ["expired", token, 2000, key],
    ["foreign key", token, 1000, otherKey],
    [
      "tampered payload",
      token.replace(/\.[^.]+\./, `.${btoa(JSON.stringify({ a: 2, exp: 9999 })).replace(/=+$/, "")}.`),
      1000,
      key,
    ],
    ["two segments", "abc.def", 1000, key],
    ["bad base64", "a$b.c.d", 1000, key],
    ["string exp", await signJwt({ a: 1, exp: "2000" }, key), 1000, key],
  ];
  const reasons: Record<string, RegExp> = {
    "expired": /Signature has expired/,
    "foreign key": /Signature verification failed/,
    "tampered payload": /Signature verification failed/,
    "two segments": /Not enough segments/,
    "bad base64": /Invalid/,
    "string exp": /Expiration Time claim \(exp\) must be an integer/,
  };
  for (const [name, t, now, k] of cases) {
    await assert.rejects(
      verifyJwt(t, k, now),
      (err: unknown) => err instanceof JwtError && reasons[name].test(err.message),
      name,
    );
  }
  const noneAlg = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${token.split(".")[1]}.`;
  await assert.rejects(verifyJwt(noneAlg, key, 1000), /alg value is not allowed/);
});
