import assert from "node:assert/strict";
import {
  credentialsFor,
  repoCacheName,
  rewriteRepoUrl,
  stripCredentials,
  urlHost,
} from "../../../lib/setup/code/git_url.ts";

Deno.test("rewriteRepoUrl() translates ssh to https when credentials exist and forces ssh when asked", () => {
  const creds = { user: "u", pass: "p" };
  const cases: [string, Record<string, unknown>, string][] = [
    ["git@github.com:foo/bar.git", creds, "https://github.com/foo/bar.git"],
    ["ssh://user@github.com/foo/bar.git", creds, "https://user@github.com/foo/bar.git"],
    ["ssh://git@github.com/foo/bar.git", creds, "https://github.com/foo/bar.git"],
    ["git@github.com:foo/bar.git", {}, "git@github.com:foo/bar.git"],
    ["git@github.com:foo/bar.git", { ...creds, host: "gitlab.com" }, "git@github.com:foo/bar.git"],
    ["https://github.com/foo/bar.git", { forceSsh: true }, "ssh://git@github.com/foo/bar.git"],
    [
      "https://github.com/foo/bar.git",
      { forceSsh: true, forceSshPort: 2222, forceSshUser: "me" },
      "ssh://me@github.com:2222/foo/bar.git",
    ],
  ];
  for (const [url, settings, want] of cases) assert.equal(rewriteRepoUrl(url, settings), want, url);
});

Deno.test("stripCredentials() removes user and password from http URLs only", () => {
  assert.deepEqual(stripCredentials("https://me:s3cret@h.com/r.git"), {
    url: "https://h.com/r.git",
    user: "me",
    pass: "s3cret",
  });
  assert.deepEqual(stripCredentials("git@h.com:r.git"), { url: "git@h.com:r.git" });
});

Deno.test("credentialsFor() honours git_host and the scheme", () => {
  const s = { user: "u", pass: "p", host: "h.com" };
  assert.deepEqual(credentialsFor("https://h.com/r.git", s), { user: "u", pass: "p" });
  assert.equal(credentialsFor("https://other.com/r.git", s), undefined);
  assert.equal(credentialsFor("ssh://git@h.com/r.git", s), undefined);
  assert.equal(urlHost("git@h.com:x/y.git"), "h.com");
});

Deno.test("repoCacheName() keeps the last segment and hashes the URL", () => {
  assert.match(repoCacheName("https://h.com/x/bar.git"), /^bar\.git\.[0-9a-f]{32}$/);
  assert.notEqual(repoCacheName("https://h.com/x/bar.git"), repoCacheName("https://h.com/y/bar.git"));
});
