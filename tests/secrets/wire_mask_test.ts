import assert from "node:assert/strict";
import { clip, maskAuthorization, maskWire } from "../../lib/secrets/wire_mask.ts";

Deno.test("maskWire() hides secret JSON fields and keeps the rest", () => {
  const cases: [string, string][] = [
    ['{"data":{"token":"eyJ.abc.def"}}', '{"data":{"token":"********"}}'],
    ['{"access_key":"AK","secret_key":"s3cr\\"et"}', '{"access_key":"AK","secret_key":"********"}'],
    ['{"git_pass": "hunter2", "name": "x"}', '{"git_pass": "********", "name": "x"}'],
    ['{"Password":"p"}', '{"Password":"********"}'],
    ['{"msg":"clone https://u:pw@host/r.git"}', '{"msg":"clone https://u:********@host/r.git"}'],
    ['{"task":"abc","tokens":3}', '{"task":"abc","tokens":3}'],
  ];
  for (const [input, want] of cases) assert.equal(maskWire(input), want, input);
});

Deno.test("maskWire() hides header blocks, tokens and credentials in bodies that are not JSON", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlXzEyMzQ";
  const cases: [string, string][] = [
    [
      `POST /x HTTP/1.1\r\nAuthorization: Bearer ${jwt}\r\nHost: a`,
      "POST /x HTTP/1.1\r\nAuthorization: ********\r\nHost: a",
    ],
    [`cookie: clearml_token_basic=${jwt}`, "cookie: ********"],
    [`token=${jwt}&x=1`, "token=********&x=1"],
    ["auth Basic QUtBS0FLOlNLU0tTSw== end", "auth Basic ******** end"],
    ["a plain line about Basic ideas", "a plain line about Basic ideas"],
  ];
  for (const [input, want] of cases) assert.equal(maskWire(input), want, input);
});

Deno.test("maskAuthorization() keeps the scheme only", () => {
  assert.equal(maskAuthorization("Bearer eyJhbGci.x.y"), "Bearer ********");
  assert.equal(maskAuthorization("Basic QUs6U0s="), "Basic ********");
  assert.equal(maskAuthorization(null), "-");
});

Deno.test("clip() says how much of a long body was left out", () => {
  assert.equal(clip("abc", 5), "abc");
  assert.equal(clip("abcdefgh", 5), "abcde... (3 more characters)");
});
