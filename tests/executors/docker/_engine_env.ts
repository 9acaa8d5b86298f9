/**
 * The real Docker engine for tests: it must answer (a missing engine is a failure, under CI and locally — run
 * `scripts/ci_services.sh`), the local base image `clearml-agent-test/bookworm-python:1` must exist (nothing can be
 * pulled), and everything a test creates carries a label unique to the test process so it can be found and removed
 * without touching anyone else's containers on a shared engine.
 *
 * @module
 */

import { type Engine, engineMessage, openEngine } from "../../../executors/docker/engine.ts";

/** The local test base image (debootstrap bookworm + python3, venv, pip, git). */
export const TEST_IMAGE = Deno.env.get("CLEARML_AGENT_TEST_IMAGE") ?? "clearml-agent-test/bookworm-python:1";

/** A label every container of this test process gets (`CLEARML_AGENT_EXTRA_DOCKER_LABELS`). */
export const TEST_LABEL = `clearml-agent-test=${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;

let engine: Engine | undefined;

/** The engine, after checking that it answers and has the test image; throws a clear error otherwise. */
export async function requireEngine(): Promise<Engine> {
  engine ??= await openEngine();
  try {
    await engine.ping();
  } catch (err) {
    throw new Error(
      `The Docker engine does not answer (${engineMessage(err)}): docker tests need it (CI=${
        Deno.env.get("CI") ?? "unset"
      }); start it with scripts/ci_services.sh`,
    );
  }
  try {
    await engine.getImage(TEST_IMAGE).inspect();
  } catch {
    throw new Error(`Test image "${TEST_IMAGE}" is missing: build it with scripts/ci_services.sh`);
  }
  return engine;
}

/** Containers (any state) that carry `label` (`key=value`). */
export async function containersWith(
  label: string,
): Promise<{ Id: string; State?: string; Labels?: Record<string, string> }[]> {
  return await (await requireEngine()).listContainers({ all: true, filters: { label: [label] } });
}

/** Remove every container with `label`; resolves to how many there were. */
export async function removeContainersWith(label: string): Promise<number> {
  const e = await requireEngine();
  const list = await containersWith(label);
  for (const c of list) await e.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
  return list.length;
}

/** Remove an image if it exists. */
export async function removeImage(name: string): Promise<void> {
  await (await requireEngine()).getImage(name).remove({ force: true }).catch(() => {});
}

/** Import a tiny image from files (`path` → content) with `docker import`'s API (no registry needed). */
export async function importImage(name: string, files: Record<string, string>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [path, content] of Object.entries(files)) {
      const full = `${dir}/root/${path}`;
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(full, content);
    }
    const tar = await new Deno.Command("tar", { args: ["-C", `${dir}/root`, "-cf", `${dir}/image.tar`, "."] }).output();
    if (!tar.success) throw new Error("tar failed");
    const e = (await requireEngine()) as unknown as {
      importImage(
        file: string,
        opts: Record<string, unknown>,
      ): Promise<{ on: (ev: string, fn: (x?: unknown) => void) => void }>;
    };
    const [repo, tag] = name.split(":");
    const stream = await e.importImage(`${dir}/image.tar`, { repo, tag });
    await new Promise<void>((resolve, reject) => {
      stream.on("data", () => {});
      stream.on("end", () => resolve());
      stream.on("error", (err) => reject(err));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
