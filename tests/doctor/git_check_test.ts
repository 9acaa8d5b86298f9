import assert from "node:assert/strict";
import { join } from "node:path";
import { gitCheck } from "../../lib/doctor/git_check.ts";
import { fakeBin } from "./fake_bin.ts";

Deno.test("gitCheck() passes with git and credentials for the configured host, or SSH keys", async () => {
  await using bin = await fakeBin({ git: 'echo "git version 2.39.5"' });
  const home = await Deno.makeTempDir();
  try {
    const git = join(bin.dir, "git");
    const https = gitCheck({ path: bin.dir, home, gitUser: "bob", gitPass: "tok", gitHost: "github.com" });
    assert.deepEqual(https, {
      name: "git",
      ok: true,
      required: true,
      detail: `${git}; HTTPS credentials of "bob" for "github.com"`,
    });
    assert.match(gitCheck({ path: bin.dir, home, gitUser: "bob", gitPass: "tok" }).detail, /for every host$/);
    await Deno.mkdir(join(home, ".ssh"));
    Deno.writeTextFileSync(join(home, ".ssh", "id_ed25519"), "key", { mode: 0o600 });
    const ssh = gitCheck({ path: bin.dir, home });
    assert.deepEqual(ssh, { name: "git", ok: true, required: true, detail: `${git}; SSH keys id_ed25519` });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gitCheck() fails without git, with half the credentials, and warns with none", async () => {
  await using bin = await fakeBin({ git: 'echo "git version 2.39.5"' });
  const home = await Deno.makeTempDir();
  try {
    const noGit = gitCheck({ path: "/nonexistent", home, gitUser: "bob", gitPass: "tok" });
    assert.deepEqual(noGit, {
      name: "git",
      ok: false,
      required: true,
      detail: "git not found on PATH: tasks cannot be cloned",
    });
    const half = gitCheck({ path: bin.dir, home, gitUser: "bob" });
    assert.equal(half.ok, false);
    assert.equal(half.required, true);
    assert.equal(half.detail, "agent.git_user is set but agent.git_pass is not");
    assert.equal(gitCheck({ path: bin.dir, home, gitPass: "tok" }).ok, false);
    const none = gitCheck({ path: bin.dir, home, gitHost: "gitlab.example.com" });
    assert.equal(none.ok, false);
    assert.equal(none.required, false);
    assert.match(none.detail, /^no git credentials although agent\.git_host is "gitlab\.example\.com"/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
