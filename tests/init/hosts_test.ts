import assert from "node:assert/strict";
import { hostText, parseHost, verifyUrl } from "../../lib/init/hosts.ts";

Deno.test("verifyUrl() adds http:// with a port, https:// without, and refuses other schemes", () => {
  const cases: [string, string | undefined][] = [
    ["localhost:8080", "http://localhost:8080"],
    ["app.clear.ml", "https://app.clear.ml"],
    ["https://app.clear.ml/", "https://app.clear.ml"],
    ["http://10.0.0.5:8008/prefix/", "http://10.0.0.5:8008/prefix"],
    ["ftp://x", undefined],
    ["", undefined],
    ["http://", undefined],
  ];
  for (const [input, want] of cases) {
    const url = verifyUrl(input);
    assert.equal(url && hostText(url), want, input);
  }
});

Deno.test("parseHost() derives the API, web and files hosts as the reference does", () => {
  const cases: [string, { api: string; web: string; files: string; derived: boolean }, RegExp?][] = [
    ["https://app.clear.ml", {
      api: "https://api.clear.ml",
      web: "https://app.clear.ml",
      files: "https://files.clear.ml",
      derived: true,
    }],
    ["https://api.example.com", {
      api: "https://api.example.com",
      web: "https://app.example.com",
      files: "https://files.example.com",
      derived: true,
    }, /api.example.com is the api server, we need the web server/],
    ["https://demoapp.demo.clear.ml", {
      api: "https://demoapi.demo.clear.ml",
      web: "https://demoapp.demo.clear.ml",
      files: "https://demofiles.demo.clear.ml",
      derived: true,
    }],
    ["http://10.0.0.5:8008", {
      api: "http://10.0.0.5:8008",
      web: "http://10.0.0.5:8080",
      files: "http://10.0.0.5:8081",
      derived: true,
    }, /Port 8008 is the api port/],
    ["http://10.0.0.5:8080", {
      api: "http://10.0.0.5:8008",
      web: "http://10.0.0.5:8080",
      files: "http://10.0.0.5:8081",
      derived: true,
    }],
    ["http://127.0.0.1:18099", { api: "http://127.0.0.1:18099", web: "", files: "", derived: false }],
  ];
  for (const [input, want, message] of cases) {
    const got = parseHost(verifyUrl(input)!);
    assert.deepEqual({ api: got.api, web: got.web, files: got.files, derived: got.derived }, want, input);
    if (message) assert.match(got.message ?? "", message);
  }
});

Deno.test("parseHost() asks about default ports for a bare host name", () => {
  const yes = parseHost(verifyUrl("https://clearml.corp")!, () => true);
  assert.deepEqual([yes.api, yes.web, yes.files], [
    "https://clearml.corp:8008",
    "https://clearml.corp:8080",
    "https://clearml.corp:8081",
  ]);
  const no = parseHost(verifyUrl("https://clearml.corp")!, () => false);
  assert.deepEqual([no.api, no.web, no.derived], ["https://clearml.corp", "", false]);
});
