/**
 * `clearml-agent init` in a real pseudo-terminal (tmux): the reference's dialogue against the embedded server,
 * a config file that `config --json` reads back, and an existing file left untouched. Then the non-interactive
 * flags and the failures that write nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { agentCommand, runCli } from "../helpers/cli.ts";
import { startTestServer, TEST_ACCESS_KEY, TEST_SECRET_KEY } from "../helpers/server.ts";
import { confSnippet } from "../../lib/server/auth/credentials.ts";
import { TmuxSession } from "./_tmux.ts";

/** Deno's cache of this process, so that a CLI run with another HOME does not rebuild it. */
function denoDir(): string {
  const home = Deno.env.get("HOME") ?? "/root";
  return Deno.env.get("DENO_DIR") ?? join(Deno.env.get("XDG_CACHE_HOME") ?? join(home, ".cache"), "deno");
}

function cliIn(home: string, args: string[]) {
  return runCli(args, { env: { HOME: home, DENO_DIR: denoDir(), CLEARML_CONFIG_FILE: "" } });
}

Deno.test("init through a terminal writes a config that config --json reads back; run again, the file is unchanged", async () => {
  const srv = await startTestServer();
  const home = await Deno.makeTempDir({ prefix: "clearml_init_home_" });
  const tty = new TmuxSession();
  try {
    await tty.start([Deno.execPath(), ...agentCommand(["init"])], { HOME: home, DENO_DIR: denoDir() }, [
      "CLEARML_CONFIG_FILE",
    ]);
    await tty.waitFor("Paste copied configuration here:");
    for (const line of confSnippet(srv.url, TEST_ACCESS_KEY, TEST_SECRET_KEY).trimEnd().split("\n")) {
      await tty.type(line);
    }
    const dialogue: [string, string][] = [
      [`API server address? [${srv.url}]`, ""], // our embedded server: API first, the web page and files follow it
      [`Web application address? [${srv.url}]`, ""],
      [`File store address? [${srv.url}/files]`, ""],
      ["(N)one, the ClearML (S)erver, or (C)ustom? [None]", "n"],
      ["leave blank for SSH key authentication)? []", "alice"],
      ["Git personal access token for user 'alice'?", "tok-init-123"],
      ["(extra-index-url) for installing Python packages (leave blank if none)?", "https://i.example/simple"],
      ["Another package index (leave blank if done)?", ""],
    ];
    for (const [prompt, answer] of dialogue) {
      await tty.waitFor(prompt);
      await tty.type(answer);
    }
    const screen = await tty.waitFor(/EXIT=\d+/);
    assert.match(screen, /EXIT=0/, screen);
    assert.match(screen, /Detected credentials key="TESTACCESSKEY0000000000000000A" secret="test\*\*\*"/);
    assert.match(screen, /Verifying credentials \.\.\.\s+Credentials verified!/);
    assert.match(screen, /CLEARML-AGENT setup completed successfully\./);
    const afterPaste = screen.slice(screen.indexOf("Detected credentials"));
    assert.ok(!afterPaste.includes(TEST_SECRET_KEY), "the secret key is not shown back (the paste itself echoes)");
    assert.match(screen, /Git repository cloning will be using user=alice token=tok-\*\*\*/);

    const file = join(home, "clearml.conf");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    const config = await cliIn(home, ["config", "--json", "--show-secrets"]);
    assert.equal(config.code, 0, config.stderr);
    const tree = JSON.parse(config.stdout);
    assert.equal(tree.api.api_server, srv.url);
    assert.equal(tree.api.web_server, srv.url, "our server's page is at its own base URL");
    assert.equal(tree.api.files_server, `${srv.url}/files`);
    assert.match(screen, /is clearml-agent's embedded server: its web page and files server use the same address/);
    assert.deepEqual(tree.api.credentials, { access_key: TEST_ACCESS_KEY, secret_key: TEST_SECRET_KEY });
    assert.equal(tree.agent.git_user, "alice");
    assert.equal(tree.agent.git_pass, "tok-init-123");
    assert.deepEqual(tree.agent.package_manager.extra_index_url, ["https://i.example/simple"]);

    const before = await Deno.readFile(file);
    const mtime = (await Deno.stat(file)).mtime;
    const again = await cliIn(home, ["init", "-y", "--access-key", "OTHER", "--secret-key", "OTHER-SECRET"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`Configuration file already exists: ${file}\\n`));
    assert.match(again.stdout, /^agent \{$/m, "says what to add");
    assert.deepEqual(await Deno.readFile(file), before);
    assert.deepEqual((await Deno.stat(file)).mtime, mtime);
  } finally {
    await tty.close();
    await srv.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("init -y writes from flags; bad credentials or an unreachable server write nothing", async () => {
  const srv = await startTestServer();
  const home = await Deno.makeTempDir({ prefix: "clearml_init_home_" });
  const file = join(home, "clearml.conf");
  try {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deadUrl = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}`;
    closed.close();
    const failures: [string[], RegExp][] = [
      [["--credentials", "api { credentials { access_key: A } }"], /not in the expected format: .*exactly access_key/],
      [["--credentials", "}{"], /The credentials block is not in the expected format: cannot read it/],
      [["--access-key", "K", "--secret-key", "S", "--api-server", deadUrl], /Cannot reach the API server ".*"/],
      [["--access-key", "WRONG", "--secret-key", "wrong-secret", "--api-server", srv.url], /refused the credentials/],
    ];
    for (const [flags, error] of failures) {
      const res = await cliIn(home, ["init", "-y", ...flags]);
      assert.equal(res.code, 1, res.stdout + res.stderr);
      assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
      assert.match(res.stderr, error);
      assert.deepEqual([...Deno.readDirSync(home)].filter((e) => e.name.includes("clearml")), [], "nothing written");
    }
    const snippet = confSnippet(srv.url, TEST_ACCESS_KEY, TEST_SECRET_KEY);
    const ok = await runCli(["init", "-y", "--credentials", "-", "--git-user", "ci", "--git-pass", "ci-token-1"], {
      env: { HOME: home, DENO_DIR: denoDir(), CLEARML_CONFIG_FILE: "" },
      stdin: snippet,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /New configuration stored in .*clearml\.conf/);
    assert.ok(!ok.stdout.includes("ci-token-1"));
    const tree = JSON.parse((await cliIn(home, ["config", "--json", "--show-secrets"])).stdout);
    assert.equal(tree.api.api_server, srv.url);
    assert.equal(tree.agent.git_pass, "ci-token-1");
    const target = join(home, "other", "agent.conf");
    const explicit = await cliIn(home, [
      "init",
      "-y",
      "--no-verify",
      "--access-key",
      "K",
      "--secret-key",
      "S",
      "--api-server",
      "http://10.1.2.3:8008",
      "--target",
      target,
    ]);
    assert.equal(explicit.code, 0, explicit.stderr);
    const other = JSON.parse((await cliIn(home, ["config", "--json", "--config-file", target])).stdout);
    assert.equal(other.api.web_server, "http://10.1.2.3:8080");
    assert.equal(other.api.files_server, "http://10.1.2.3:8081");
    assert.ok(await Deno.stat(file), "the default file is still there");
  } finally {
    await srv.close();
    await Deno.remove(home, { recursive: true });
  }
});
