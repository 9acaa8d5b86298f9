import assert from "node:assert/strict";
import { endsBlock, parsePastedBlock, secretHint } from "../../lib/init/credentials.ts";
import { confSnippet } from "../../lib/server/auth/credentials.ts";

const WEB_APP_BLOCK = `api {
  web_server: https://app.clear.ml
  api_server: https://api.clear.ml
  files_server: https://files.clear.ml
  credentials {
    "access_key" = "AK1234567890"
    "secret_key" = "sk-abcdefghijklmnop"
  }
}
`;

Deno.test("parsePastedBlock() reads the web app's block, our server's snippet and the older top-level form", () => {
  assert.deepEqual(parsePastedBlock(WEB_APP_BLOCK), {
    apiServer: "https://api.clear.ml",
    webServer: "https://app.clear.ml",
    filesServer: "https://files.clear.ml",
    credentials: { accessKey: "AK1234567890", secretKey: "sk-abcdefghijklmnop" },
  });
  const ours = parsePastedBlock(confSnippet("http://127.0.0.1:8008", "KEY", "SECRET-VALUE"));
  assert.deepEqual(ours.credentials, { accessKey: "KEY", secretKey: "SECRET-VALUE" });
  assert.equal(ours.apiServer, "http://127.0.0.1:8008");
  const old = parsePastedBlock('credentials {"access_key": "A", "secret_key": "B"}\nhost: "http://h:8008"\n');
  assert.deepEqual(old.credentials, { accessKey: "A", secretKey: "B" });
  assert.equal(old.apiServer, "http://h:8008");
});

Deno.test("parsePastedBlock() says why a block is unusable", () => {
  const cases: [string, RegExp][] = [
    ["api { credentials { ", /cannot read it: line 1:/],
    ["api { api_server: http://x }", /no credentials/],
    ['api { credentials { "access_key": "A" } }', /exactly access_key and secret_key/],
    ['api { credentials { "access_key": "A", "secret_key": "B", "x": 1 } }', /exactly access_key and secret_key/],
    ['api { credentials { "access_key": "", "secret_key": "B" } }', /both set/],
    ["just some words", /cannot read it/],
    ["name: value", /no credentials/],
  ];
  for (const [text, problem] of cases) {
    const block = parsePastedBlock(text);
    assert.equal(block.credentials, undefined, text);
    assert.match(block.problem ?? "", problem, text);
  }
});

Deno.test("endsBlock() stops at an unindented closing brace only; secretHint() shows four characters", () => {
  assert.equal(endsBlock("}"), true);
  assert.equal(endsBlock("}  "), true);
  assert.equal(endsBlock("  }"), false);
  assert.equal(endsBlock("api {"), false);
  assert.equal(secretHint("abcdefgh"), "abcd***");
});
