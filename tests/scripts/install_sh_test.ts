/**
 * scripts/install.sh against a fake release served on 127.0.0.1 (the GitHub release layout:
 * `<base>/latest/download/<file>` and `<base>/download/v<version>/<file>`), with fake `uname` / `id` first on PATH
 * to choose the platform and the user.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../helpers/cli.ts";
import { fakeBinary, releaseFiles, serveRelease } from "./fake_release.ts";

interface Box {
  dir: string;
  installDir: string;
  home: string;
  fakeBin: string;
}

async function box(os = "Linux", arch = "x86_64", uid = "0"): Promise<Box> {
  const dir = await Deno.makeTempDir({ prefix: "install-sh-" });
  const fakeBin = join(dir, "fake-bin");
  await Deno.mkdir(fakeBin);
  const uname = `#!/bin/sh\ncase "$1" in -s) echo ${os} ;; -m) echo ${arch} ;; *) echo ${os} ;; esac\n`;
  Deno.writeTextFileSync(join(fakeBin, "uname"), uname, { mode: 0o755 });
  Deno.writeTextFileSync(join(fakeBin, "id"), `#!/bin/sh\necho ${uid}\n`, { mode: 0o755 });
  return { dir, installDir: join(dir, "bin"), home: join(dir, "home"), fakeBin };
}

async function install(b: Box, env: Record<string, string>, extraPath = "") {
  const out = await new Deno.Command("sh", {
    args: [join(ROOT, "scripts/install.sh")],
    clearEnv: true,
    env: { PATH: `${extraPath}${b.fakeBin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`, HOME: b.home, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function listing(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

Deno.test("install.sh installs the binary of this platform from the latest release after checking its checksum", async () => {
  const release = serveRelease(await releaseFiles());
  const b = await box();
  try {
    const r = await install(b, { CLEARML_AGENT_BASE_URL: release.base, CLEARML_AGENT_INSTALL_DIR: b.installDir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(release.requests, [
      "/releases/latest/download/SHA256SUMS",
      "/releases/latest/download/clearml-agent-linux-x64",
    ]);
    const installed = join(b.installDir, "clearml-agent");
    assert.equal(Deno.readTextFileSync(installed), fakeBinary("linux-x64"));
    assert.equal(Deno.statSync(installed).mode! & 0o777, 0o755);
    assert.deepEqual(listing(b.installDir), ["clearml-agent"]);
    assert.match(r.stdout, /Installed .*\/bin\/clearml-agent \(CLEARML-AGENT version 0\.1\.0 \(linux-x64\)\)/);
    assert.match(r.stdout, /Next steps:\n {2}export PATH=".*\/bin:\$PATH"/);
    assert.match(r.stdout, /\n {2}clearml-agent init {8}# connect/);
    assert.match(r.stdout, /clearml-agent daemon --queue default --detached/);
    assert.equal(r.stderr, "");
  } finally {
    await release.close();
    await Deno.remove(b.dir, { recursive: true });
  }
});

Deno.test("install.sh maps uname to the release asset and refuses unsupported platforms", async () => {
  const release = serveRelease(await releaseFiles());
  const table: Array<[string, string, string]> = [
    ["Linux", "x86_64", "clearml-agent-linux-x64"],
    ["Linux", "aarch64", "clearml-agent-linux-arm64"],
    ["Darwin", "x86_64", "clearml-agent-darwin-x64"],
    ["Darwin", "arm64", "clearml-agent-darwin-arm64"],
    ["Linux", "amd64", "clearml-agent-linux-x64"],
    ["FreeBSD", "amd64", 'error: Unsupported operating system "FreeBSD"'],
    ["Linux", "riscv64", 'error: Unsupported CPU "riscv64"'],
  ];
  try {
    for (const [os, arch, want] of table) {
      const b = await box(os, arch);
      try {
        release.requests.length = 0;
        const r = await install(b, { CLEARML_AGENT_BASE_URL: release.base, CLEARML_AGENT_INSTALL_DIR: b.installDir });
        if (want.startsWith("error:")) {
          assert.equal(r.code, 1, `${os} ${arch}`);
          assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
          assert.ok(r.stderr.startsWith(`clearml-agent install: ${want}`), r.stderr);
          assert.deepEqual(release.requests, []);
        } else {
          assert.equal(r.code, 0, `${os} ${arch}: ${r.stderr}`);
          assert.equal(release.requests.at(-1), `/releases/latest/download/${want}`);
          assert.equal(Deno.readTextFileSync(join(b.installDir, "clearml-agent")), fakeBinary(want.slice(14)));
        }
      } finally {
        await Deno.remove(b.dir, { recursive: true });
      }
    }
  } finally {
    await release.close();
  }
});

Deno.test("install.sh refuses a binary whose checksum does not match and leaves the installed one alone", async () => {
  const files = await releaseFiles();
  files["clearml-agent-linux-x64"] = fakeBinary("tampered");
  const release = serveRelease(files);
  const b = await box();
  try {
    await Deno.mkdir(b.installDir, { recursive: true });
    Deno.writeTextFileSync(join(b.installDir, "clearml-agent"), "old\n");
    const r = await install(b, { CLEARML_AGENT_BASE_URL: release.base, CLEARML_AGENT_INSTALL_DIR: b.installDir });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^clearml-agent install: error: Checksum mismatch for "clearml-agent-linux-x64": expected [0-9a-f]{64}, got [0-9a-f]{64} \(nothing installed\)\n$/,
    );
    assert.deepEqual(listing(b.installDir), ["clearml-agent"]);
    assert.equal(Deno.readTextFileSync(join(b.installDir, "clearml-agent")), "old\n");
  } finally {
    await release.close();
    await Deno.remove(b.dir, { recursive: true });
  }
});

Deno.test("install.sh refuses a release without a checksum entry, a missing asset, and a binary that does not run", async () => {
  const b = await box();
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ SHA256SUMS: `${"0".repeat(64)}  clearml-agent-darwin-x64\n` }, /SHA256SUMS of release latest has no entry for/],
    [{ "clearml-agent-linux-x64": "" }, /Cannot download ".*clearml-agent-linux-x64": is there a linux-x64 build/],
    [{ "clearml-agent-linux-x64": fakeBinary("broken", 3) }, /does not run on this machine: .*\(nothing installed\)/],
  ];
  try {
    for (const [overrides, want] of cases) {
      const files = await releaseFiles(overrides);
      if (overrides["clearml-agent-linux-x64"] === "") delete files["clearml-agent-linux-x64"];
      const release = serveRelease(files);
      try {
        const r = await install(b, { CLEARML_AGENT_BASE_URL: release.base, CLEARML_AGENT_INSTALL_DIR: b.installDir });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, want);
        assert.deepEqual(listing(b.installDir), []);
      } finally {
        await release.close();
      }
    }
  } finally {
    await Deno.remove(b.dir, { recursive: true });
  }
});

Deno.test("install.sh installs a pinned version from its tag into ~/.local/bin for a non-root user", async () => {
  const release = serveRelease(await releaseFiles());
  const b = await box("Linux", "aarch64", "1000");
  try {
    const localBin = join(b.home, ".local", "bin");
    const r = await install(
      b,
      { CLEARML_AGENT_BASE_URL: release.base, CLEARML_AGENT_VERSION: "0.1.0" },
      `${localBin}:`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(release.requests, [
      "/releases/download/v0.1.0/SHA256SUMS",
      "/releases/download/v0.1.0/clearml-agent-linux-arm64",
    ]);
    assert.equal(Deno.readTextFileSync(join(localBin, "clearml-agent")), fakeBinary("linux-arm64"));
    assert.ok(!r.stdout.includes("export PATH"), "asks to change PATH although the folder is on it");
    assert.match(r.stdout, /\n {2}clearml-agent doctor {6}# check/);
  } finally {
    await release.close();
    await Deno.remove(b.dir, { recursive: true });
  }
});

Deno.test("the repository's install.sh (no release address) refuses to guess one, in one line", async () => {
  const b = await box();
  try {
    const r = await install(b, { CLEARML_AGENT_INSTALL_DIR: b.installDir });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "clearml-agent install: error: No release address: set CLEARML_AGENT_BASE_URL (this is the repository's " +
        "install.sh; a release's has it)\n",
    );
    assert.deepEqual(listing(b.installDir), []);
  } finally {
    await Deno.remove(b.dir, { recursive: true });
  }
});
