/**
 * Task environments as ML repositories have them, end to end through `clearml-agent execute` against the
 * embedded server: uv projects synced from `uv.lock`, poetry projects, priority/post packages, PyTorch matched to
 * the CUDA version of an `nvidia-smi` capture, and bad lock files / managers / indexes. Packages come from local
 * indexes of small wheels built here (`PIP_INDEX_URL` / `UV_INDEX_URL` point at them: nothing leaves the host).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { serveFolder, startExecuteEnv } from "../../helpers/execute_env.ts";
import { addWheels, pyproject, runTool, toolCommand } from "../../helpers/wheel_index.ts";
import { fakeNvidiaSmi } from "../../stats/_fake_nvidia_smi.ts";

const PRINT = (mod: string) => `-c "import ${mod}; print('${mod}', ${mod}.VERSION)"`;

async function git(cwd: string, ...args: string[]): Promise<void> {
  await runTool(["git", "-c", "user.email=t@example.com", "-c", "user.name=test", ...args], cwd);
}

/** A git repository under `parent` holding `files`; resolves to its `file://` URL. */
async function repo(parent: string, name: string, files: Record<string, string>): Promise<string> {
  const dir = join(parent, name);
  await Deno.mkdir(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, path), text);
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "add", ".");
  await git(dir, "commit", "-qm", "init");
  return `file://${dir}`;
}

async function commit(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, path), text);
  await git(dir, "add", ".");
  await git(dir, "commit", "-qm", "change");
}

function cacheTemps(dir: string): string[] {
  try {
    return [...Deno.readDirSync(join(dir, "venvs-cache"))].map((e) => e.name).filter((n) => n.startsWith("_temp."));
  } catch {
    return [];
  }
}

function cacheEntries(dir: string): string[] {
  try {
    return [...Deno.readDirSync(join(dir, "venvs-cache"))].map((e) => e.name).filter((n) => !n.startsWith("."));
  } catch {
    return [];
  }
}

Deno.test("task environments: uv and poetry projects, priority/post packages, torch by CUDA, bad input", async (t) => {
  const env = await startExecuteEnv();
  const indexRoot = join(env.dir, "indexes");
  await addWheels(join(indexRoot, "simple"), [{ name: "tinypkg", version: "0.1" }]);
  const server = serveFolder(indexRoot);
  const index = `${server.url}/simple/`;
  // poetry's own cache is keyed by URL: a fresh one per test, so wheels of an earlier run's index never match.
  const indexEnv = { PIP_INDEX_URL: index, UV_INDEX_URL: index, POETRY_CACHE_DIR: join(env.dir, "poetry-cache") };
  const setAgent = async (agent: Record<string, unknown>) => {
    const conf = JSON.parse(await Deno.readTextFile(env.configFile));
    conf.agent = { ...conf.agent, ...agent };
    await Deno.writeTextFile(env.configFile, JSON.stringify(conf, null, 2));
  };
  try {
    const uv = await toolCommand("uv");
    const poetry = await toolCommand("poetry");
    const uvRepo = join(env.dir, "uvproj");
    const poetryRepo = join(env.dir, "poetryproj");
    // The lock files are written while the index has only tinypkg 0.1; 0.2 appears afterwards.
    for (const dir of [uvRepo, poetryRepo]) {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(join(dir, "pyproject.toml"), pyproject(index, ["tinypkg>=0.1"]));
    }
    await runTool([...uv, "lock", "--quiet"], uvRepo, { UV_PYTHON_DOWNLOADS: "never" });
    await Deno.writeTextFile(
      join(poetryRepo, "pyproject.toml"),
      pyproject(index, ["tinypkg>=0.1"], "[tool.poetry]\npackage-mode = false\n"),
    );
    await runTool([...poetry, "lock", "-n"], poetryRepo, { POETRY_CACHE_DIR: indexEnv.POETRY_CACHE_DIR });
    const uvUrl = await repo(env.dir, "uvproj", {});
    const poetryUrl = await repo(env.dir, "poetryproj", {});
    await addWheels(join(indexRoot, "simple"), [{ name: "tinypkg", version: "0.2" }]);

    await t.step("a uv project with uv.lock gets exactly the locked versions, then the cached venv", async () => {
      await setAgent({ package_manager: { type: "uv" } });
      const script = { repository: uvUrl, branch: "main", entry_point: PRINT("tinypkg"), binary: "python3" };
      const id = await env.createTask({ ...script, requirements: { pip: "tinypkg==0.2\n" } });
      const first = await env.execute(["--id", id], indexEnv);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /uv Enabled: Ignoring requested python packages/);
      assert.match(first.stdout, /^tinypkg 0\.1$/m);
      assert.match(first.stdout, /Adding venv into cache/);
      const task = await env.task(id) as { script: { requirements: { pip: string[] } } };
      assert.ok(task.script.requirements.pip.includes("tinypkg==0.1"), JSON.stringify(task.script.requirements));
      const second = await env.execute(["--id", id], indexEnv);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /::: Using Cached environment /);
      assert.match(second.stdout, /^tinypkg 0\.1$/m);
    });

    await t.step("a poetry project runs under type poetry from its poetry.lock", async () => {
      await setAgent({ package_manager: { type: "poetry", poetry_install_extra_args: ["--no-root"] } });
      const script = { repository: poetryUrl, branch: "main", entry_point: PRINT("tinypkg"), binary: "python3" };
      const id = await env.createTask({ ...script, requirements: { pip: "tinypkg==0.2\n" } });
      const res = await env.execute(["--id", id], indexEnv);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /Poetry Enabled: Ignoring requested python packages, using repository poetry lock/);
      assert.match(res.stdout, /^tinypkg 0\.1$/m);
      const task = await env.task(id) as { script: { requirements: { pip: string[] } } };
      assert.ok(task.script.requirements.pip.includes("tinypkg==0.1"), JSON.stringify(task.script.requirements));
      const again = await env.execute(["--id", id], indexEnv);
      assert.match(again.stdout, /::: Using Cached environment /);
    });

    await t.step("a poetry project that installs itself from the checkout runs, but is not cached", async () => {
      const dir = join(env.dir, "selfproj");
      // src layout: `import demo` works only through the project's own (editable) install.
      await Deno.mkdir(join(dir, "src", "demo"), { recursive: true });
      await Deno.writeTextFile(join(dir, "src", "demo", "__init__.py"), "HERE = 'own package'\n");
      const packages = '[tool.poetry]\npackages = [{ include = "demo", from = "src" }]\n';
      await Deno.writeTextFile(join(dir, "pyproject.toml"), pyproject(index, ["tinypkg>=0.1"], packages));
      await runTool([...poetry, "lock", "-n"], dir, { POETRY_CACHE_DIR: indexEnv.POETRY_CACHE_DIR });
      const url = await repo(env.dir, "selfproj", {});
      await setAgent({ package_manager: { type: "poetry" } });
      const before = cacheEntries(env.dir);
      const id = await env.createTask({
        repository: url,
        branch: "main",
        entry_point: `-c "import demo; print(demo.HERE)"`,
        binary: "python3",
      });
      const res = await env.execute(["--id", id], indexEnv);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /^own package$/m);
      assert.match(res.stdout, /venv cache skipped: the project installs itself from the checkout/);
      assert.deepEqual(cacheEntries(env.dir).sort(), before.sort());
      assert.deepEqual(cacheTemps(env.dir), []);
    });

    await t.step("a lock file that no longer matches pyproject.toml fails in one line, nothing cached", async () => {
      const before = cacheEntries(env.dir);
      for (
        const [type, dir, url, lock] of [["uv", uvRepo, uvUrl, "uv.lock"], [
          "poetry",
          poetryRepo,
          poetryUrl,
          "poetry.lock",
        ]]
      ) {
        await commit(dir, {
          "pyproject.toml": pyproject(
            index,
            ["tinypkg>=0.2"],
            type === "poetry" ? "[tool.poetry]\npackage-mode = false\n" : "",
          ),
        });
        await setAgent({ package_manager: { type } });
        const id = await env.createTask({
          repository: url,
          branch: "main",
          entry_point: PRINT("tinypkg"),
          binary: "python3",
        });
        const res = await env.execute(["--id", id], indexEnv);
        assert.notEqual(res.code, 0, res.stdout);
        const line = (res.stdout + res.stderr).split("\n").find((l) => l.includes(`failed for "${lock}"`));
        assert.ok(line, res.stdout + res.stderr);
        assert.match(line, type === "uv" ? /needs to be updated|--locked/ : /changed significantly|poetry lock/);
      }
      assert.deepEqual(cacheTemps(env.dir), []);
      assert.deepEqual(cacheEntries(env.dir).sort(), before.sort());
    });

    await t.step(
      "priority packages install first one by one, post packages last, optional failures logged",
      async () => {
        await addWheels(join(indexRoot, "simple"), [
          { name: "firstpkg", version: "1.0" },
          { name: "lastpkg", version: "1.0" },
        ]);
        for (const type of ["pip", "uv"]) {
          await setAgent({
            package_manager: {
              type,
              priority_packages: ["firstpkg"],
              priority_optional_packages: ["nosuchprio"],
              post_packages: ["lastpkg"],
              post_optional_packages: ["nosuchpost"],
            },
          });
          const pip = "lastpkg==1.0\nnosuchpost==1.0\ntinypkg==0.2\nnosuchprio==1.0\nfirstpkg==1.0\n";
          const id = await env.createTask({
            entry_point: "-c \"import firstpkg, lastpkg, tinypkg; print('all', tinypkg.VERSION)\"",
            binary: "python3",
            requirements: { pip },
          });
          const res = await env.execute(["--id", id], indexEnv);
          assert.equal(res.code, 0, res.stdout + res.stderr);
          const log = res.stdout;
          const at = (s: string) => {
            const i = log.indexOf(s);
            assert.ok(i >= 0, `${type}: "${s}" not in the log:\n${log}`);
            return i;
          };
          const prio = at("Installing priority package: firstpkg==1.0");
          const prioOpt = at('Optional priority package "nosuchprio==1.0" failed, skipped');
          const main = at("Installing 2 requirement(s)");
          const post = at("Installing post package: lastpkg==1.0");
          const postOpt = at('Optional post package "nosuchpost==1.0" failed, skipped');
          assert.ok(Math.max(prio, prioOpt) < main && main < post && post < postOpt, log);
          assert.match(log, /^all 0\.2$/m);
        }
      },
    );
  } finally {
    await server.close();
    await env.close();
  }
});

Deno.test("pytorch_resolve: torch==X on a CUDA 12.2 capture gets the cu12x extra index (pip) or its wheel (direct)", async () => {
  const env = await startExecuteEnv();
  const indexRoot = join(env.dir, "indexes");
  await addWheels(join(indexRoot, "simple"), [{ name: "torch", version: "2.1.0" }]);
  await addWheels(join(indexRoot, "whl", "cu121"), [{ name: "torch", version: "2.1.0+cu121" }]);
  const server = serveFolder(indexRoot);
  const capture = join(Deno.cwd(), "tests", "fixtures", "shared", "nvidia-smi", "a100-sxm4-v12.xml");
  const smi = await fakeNvidiaSmi(`cat "${capture}"`);
  const conf = JSON.parse(await Deno.readTextFile(env.configFile));
  conf.agent.package_manager = { type: "uv", extra_index_url_template: `${server.url}/whl/cu{}/` };
  await Deno.writeTextFile(env.configFile, JSON.stringify(conf));
  const runEnv = {
    PIP_INDEX_URL: `${server.url}/simple/`,
    UV_INDEX_URL: `${server.url}/simple/`,
    PATH: `${smi.dir}:${Deno.env.get("PATH")}`,
  };
  try {
    const id = await env.createTask({
      entry_point: PRINT("torch"),
      binary: "python3",
      requirements: { pip: "torch==2.1.0\n" },
    });
    const res = await env.execute(["--id", id], runEnv);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.ok(smi.calls() >= 1, "the CUDA version comes from nvidia-smi");
    // 12.2 → cu122 is probed first (absent here), then cu121 answers.
    assert.match(res.stdout, new RegExp(`PyTorch: CUDA 122, using extra index ${server.url}/whl/cu121/`));
    assert.match(res.stdout, /^torch 2\.1\.0\+cu121$/m);
    const cpu = await env.createTask({
      entry_point: PRINT("torch"),
      binary: "python3",
      requirements: { pip: "torch==2.1.0\n" },
    });
    const off = await env.execute(["--id", cpu, "--cpu-only"], runEnv);
    assert.equal(off.code, 0, off.stdout + off.stderr);
    assert.match(off.stdout, /^torch 2\.1\.0$/m, "no CUDA: the cpu index is probed, absent, so the plain index");

    conf.agent.package_manager = { ...conf.agent.package_manager, pytorch_resolve: "direct" };
    await Deno.writeTextFile(env.configFile, JSON.stringify(conf));
    const direct = await env.createTask({
      entry_point: PRINT("torch"),
      binary: "python3",
      requirements: { pip: "torch==2.1.0\n" },
    });
    const exact = await env.execute(["--id", direct], runEnv);
    assert.equal(exact.code, 0, exact.stdout + exact.stderr);
    const wheel = `${server.url}/whl/cu121/_files/torch-2.1.0+cu121-py3-none-any.whl`;
    assert.ok(exact.stdout.includes(`PyTorch: torch @ ${wheel}`), exact.stdout);
    assert.match(exact.stdout, /^torch 2\.1\.0\+cu121$/m);
  } finally {
    await server.close();
    await env.close();
  }
});

Deno.test("an unknown package manager and an index that is down fail in one line, with no cache entry", async () => {
  const env = await startExecuteEnv();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const down = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}/simple/`;
  closed.close();
  const conf = JSON.parse(await Deno.readTextFile(env.configFile));
  try {
    for (
      const [pm, want] of [
        [{ type: "condax" }, /Unknown package manager "condax" \(agent\.package_manager\.type\)/],
        [{ type: "conda" }, /not implemented yet: conda/],
        [{ type: "uv" }, new RegExp(`uv pip install failed: .*\\(extra indexes: ${down.replace(/[.]/g, "\\.")}`)],
      ] as const
    ) {
      conf.agent.package_manager = { ...pm, extra_index_url: [down] };
      await Deno.writeTextFile(env.configFile, JSON.stringify(conf));
      const id = await env.createTask({
        entry_point: PRINT("tinypkg"),
        binary: "python3",
        requirements: { pip: "tinypkg==0.1\n" },
      });
      const res = await env.execute(["--id", id], { PIP_INDEX_URL: down, UV_INDEX_URL: down });
      assert.notEqual(res.code, 0);
      assert.match(res.stdout + res.stderr, want);
      assert.deepEqual(cacheTemps(env.dir), []);
      assert.deepEqual(cacheEntries(env.dir), []);
    }
  } finally {
    await env.close();
  }
});
