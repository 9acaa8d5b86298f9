/**
 * The `init` dialogue with scripted answers: the reference's prompts in order, flags that skip questions, and
 * the failures that end the setup with one line.
 */
import assert from "node:assert/strict";
import { runWizard, type Verifier, type WizardAnswers, WizardError } from "../../lib/init/wizard.ts";
import { confSnippet } from "../../lib/server/auth/credentials.ts";

function scripted(lines: string[]) {
  let transcript = "";
  const queue = [...lines];
  return {
    io: {
      write: (text: string) => void (transcript += text),
      readLine: () => {
        const line = queue.shift();
        if (line !== undefined) transcript += line + "\n";
        return Promise.resolve(line ?? null);
      },
    },
    transcript: () => transcript,
    left: () => queue.length,
  };
}

const ok: Verifier = () => Promise.resolve({ ok: true });
const interactive: WizardAnswers = { nonInteractive: false, verify: true };

function inOrder(text: string, parts: string[]): void {
  let at = 0;
  for (const part of parts) {
    const i = text.indexOf(part, at);
    assert.ok(i >= 0, `missing (in order) ${JSON.stringify(part)} in:\n${text}`);
    at = i + part.length;
  }
}

Deno.test("runWizard() takes our server's snippet through the reference's questions", async () => {
  const snippet = confSnippet("http://127.0.0.1:18099", "KEY123", "secret-value-1").trimEnd().split("\n");
  const t = scripted([...snippet, "", "", "", "n", "", ""]);
  const checked: string[] = [];
  const values = await runWizard(t.io, interactive, (api, c) => {
    checked.push(`${api} ${c.accessKey}`);
    return Promise.resolve({ ok: true });
  });
  assert.deepEqual(values, {
    apiServer: "http://127.0.0.1:18099",
    webServer: "http://127.0.0.1:18099",
    filesServer: "http://127.0.0.1:18099/files",
    accessKey: "KEY123",
    secretKey: "secret-value-1",
    gitUser: undefined,
    gitPass: undefined,
    extraIndexUrls: [],
    outputUri: undefined,
  });
  assert.deepEqual(checked, ["http://127.0.0.1:18099 KEY123"]);
  assert.equal(t.left(), 0);
  inOrder(t.transcript(), [
    "Paste copied configuration here:",
    'Detected credentials key="KEY123" secret="secr***"',
    "Web application address? [http://127.0.0.1:18099] ", // the snippet names its web server: the reference's order
    "API server address? [http://127.0.0.1:18099] ",
    "File store address? [http://127.0.0.1:18099/files] ",
    "ClearML Hosts configuration:\nWeb App: http://127.0.0.1:18099\nAPI: http://127.0.0.1:18099",
    "Verifying credentials ...\nCredentials verified!",
    "Where should models and artifacts be stored by default (the default output URI): (N)one, the ClearML (S)erver, or (C)ustom? [None] ",
    "Default Output URI: not set",
    "Git user name for cloning repositories (leave blank for SSH key authentication)? [] ",
    "An additional package index (extra-index-url) for installing Python packages (leave blank if none)? ",
  ]);
  assert.ok(!t.transcript().includes("secret-value-1\n"), "the secret is not echoed back");
});

Deno.test("runWizard() derives hosts from the web app, edits one, and asks for git and index details", async () => {
  const block = [
    "api {",
    "  web_server: https://app.clear.ml",
    "  credentials {",
    '    "access_key" = "AK"',
    '    "secret_key" = "SECRETKEY"',
    "  }",
    "}",
  ];
  const answers = ["", "", "files.example.com", "s", "alice", "tok-123456", "https://a/simple", "https://b/simple", ""];
  const t = scripted([...block, ...answers]);
  const values = await runWizard(t.io, interactive, ok);
  assert.equal(values.webServer, "https://app.clear.ml");
  assert.equal(values.apiServer, "https://api.clear.ml");
  assert.equal(values.filesServer, "https://files.example.com");
  assert.equal(values.outputUri, "https://files.example.com");
  assert.equal(values.gitUser, "alice");
  assert.equal(values.gitPass, "tok-123456");
  assert.deepEqual(values.extraIndexUrls, ["https://a/simple", "https://b/simple"]);
  inOrder(t.transcript(), [
    "Web application address? [https://app.clear.ml] ",
    "API server address? [https://api.clear.ml] ",
    "File store address? [https://files.clear.ml] ",
    "Git personal access token for user 'alice'? ",
    "Git repository cloning will be using user=alice token=tok-***",
    "Another package index (leave blank if done)? ",
    "The following artifact repositories will be added:\n\t- https://a/simple\n\t- https://b/simple",
  ]);
});

Deno.test("runWizard() falls back to manual credentials, then fails on bad input with one line", async () => {
  const manual = scripted(["garbage {", "", "MANUALKEY", "manual-secret", "http://h:8008", "", "", "", "", ""]);
  const values = await runWizard(manual.io, interactive, ok);
  assert.equal(values.accessKey, "MANUALKEY");
  assert.equal(values.webServer, "http://h:8080", "an API port gives the web port");
  inOrder(manual.transcript(), [
    "Could not parse credentials, please try entering them manually.",
    "Access key? ",
    "Secret key? ",
    "Web application address? [https://app.clear.ml] ",
  ]);

  const cases: [string[], Verifier, RegExp][] = [
    [["garbage {", "", "", ""], ok, /The pasted credentials are not in the expected format: cannot read it/],
    [
      [...confSnippet("http://x:8008", "K", "S").split("\n").slice(0, 3)],
      ok,
      /Input ended before the setup was complete/,
    ],
    [
      [...confSnippet("http://x:8008", "K", "SSSS").trimEnd().split("\n"), "", "", ""],
      () => Promise.resolve({ ok: false, unreachable: true, reason: "connect ECONNREFUSED" }),
      /Cannot reach the API server "http:\/\/x:8008": connect ECONNREFUSED; nothing written/,
    ],
    [
      [...confSnippet("http://x:8008", "K", "SSSS").trimEnd().split("\n"), "", "", "", "K2", "S2"],
      () => Promise.resolve({ ok: false, unreachable: false, reason: "Unauthorized" }),
      /refused the credentials \(key "K2"\); nothing written/,
    ],
  ];
  for (const [lines, verify, error] of cases) {
    await assert.rejects(runWizard(scripted(lines).io, interactive, verify), (err: Error) => {
      assert.ok(err instanceof WizardError);
      assert.match(err.message, error);
      assert.equal(err.message.split("\n").length, 1);
      return true;
    });
  }
});

Deno.test("runWizard() asks nothing with nonInteractive and derives what flags leave out", async () => {
  const silent = {
    write: () => {},
    readLine: (): Promise<string | null> => Promise.reject(new Error("asked a question")),
  };
  const base = { nonInteractive: true, verify: false };
  const fromBlock = await runWizard(silent, { ...base, pasted: confSnippet("http://10.0.0.1:8008", "K", "S") }, ok);
  assert.deepEqual([fromBlock.apiServer, fromBlock.webServer, fromBlock.filesServer], [
    "http://10.0.0.1:8008",
    "http://10.0.0.1:8008", // the snippet names our web server: the server's own address
    "http://10.0.0.1:8008/files", // and our files server
  ]);
  const flags = await runWizard(silent, {
    ...base,
    accessKey: "K",
    secretKey: "S",
    apiServer: "127.0.0.1:9000",
    gitUser: "bob",
    gitPass: "pw",
    extraIndexUrls: ["https://i/simple"],
    outputUri: "s3://b",
  }, ok);
  assert.deepEqual(flags, {
    apiServer: "http://127.0.0.1:9000",
    webServer: "http://127.0.0.1:9000",
    filesServer: "http://127.0.0.1:9000",
    accessKey: "K",
    secretKey: "S",
    gitUser: "bob",
    gitPass: "pw",
    extraIndexUrls: ["https://i/simple"],
    outputUri: "s3://b",
  });
  const bad: [WizardAnswers, RegExp][] = [
    [{ ...base }, /No credentials given/],
    [{ ...base, pasted: "api { }" }, /not in the expected format: no credentials/],
    [{ ...base, accessKey: "K" }, /both --access-key and --secret-key/],
    [{ ...base, accessKey: "K", secretKey: "S" }, /No server address given/],
    [{ ...base, accessKey: "K", secretKey: "S", apiServer: "ftp://x" }, /--api-server "ftp:\/\/x" is not an http/],
    [{ ...base, accessKey: "K", secretKey: "S", webServer: "http://w:9" }, /Cannot tell the API server/],
  ];
  for (const [answers, error] of bad) await assert.rejects(runWizard(silent, answers, ok), error);
});

Deno.test("runWizard() on our embedded server: the web address is the API address, files under /files, even on port 8008", async () => {
  const identify = (api: string) => Promise.resolve(api === "http://127.0.0.1:8008");
  for (const web of [undefined, "http://127.0.0.1:8008"]) {
    const block = confSnippet("http://127.0.0.1:8008", "KEY123", "secret-value-1")
      .replace("  files_server:", web ? `  web_server: ${web}\n  files_server:` : "  files_server:");
    const t = scripted([...block.trimEnd().split("\n"), "", "", "", "n", "", ""]);
    const values = await runWizard(t.io, interactive, ok, identify);
    assert.deepEqual([values.apiServer, values.webServer, values.filesServer], [
      "http://127.0.0.1:8008",
      "http://127.0.0.1:8008",
      "http://127.0.0.1:8008/files",
    ]);
    assert.equal(t.left(), 0);
    inOrder(t.transcript(), [
      "API server address? [http://127.0.0.1:8008] ",
      "http://127.0.0.1:8008 is clearml-agent's embedded server: its web page and files server use the same address.",
      "Web application address? [http://127.0.0.1:8008] ",
      "File store address? [http://127.0.0.1:8008/files] ",
    ]);
    assert.doesNotMatch(t.transcript(), /8080|Replacing/);
  }
  const silent = { write: () => {}, readLine: () => Promise.reject(new Error("asked a question")) };
  const quiet = await runWizard(
    silent,
    {
      nonInteractive: true,
      verify: false,
      pasted: confSnippet("http://127.0.0.1:8008", "K", "S"),
    },
    ok,
    identify,
  );
  assert.deepEqual([quiet.webServer, quiet.filesServer], ["http://127.0.0.1:8008", "http://127.0.0.1:8008/files"]);
});

Deno.test("runWizard() prompts are questions with their default in brackets", async () => {
  const snippet = confSnippet("http://127.0.0.1:18099", "KEY123", "secret-value-1").trimEnd().split("\n");
  const prompts: string[] = [];
  const queue = [...snippet, "", "", "", "n", "bob", "tok", "", ""];
  await runWizard(
    {
      write: (text) => void (text.endsWith("\n") || text === "" || prompts.push(text)),
      readLine: () => Promise.resolve(queue.shift() ?? null),
    },
    interactive,
    ok,
  );
  assert.ok(prompts.length >= 6, prompts.join("|"));
  for (const p of prompts) assert.match(p, /\? (\[[^\]]*\] )?$/, `not a question: ${JSON.stringify(p)}`);
});
