/**
 * Prepared images: the per-image preparation a task container would otherwise repeat at every start (apt-get of
 * git and of OpenCV's libraries, `agent.docker_install_opencv_libs`) done once, in a container of the base image,
 * and committed as `clearml-agent-prepared:<key>`. The key is a hash of the base image's id (its digest: a pulled
 * or rebuilt image under the same name gets a new one) and of the preparation script (the packages), so any change
 * of an input makes a new image; the task container then starts from it and finds everything installed.
 *
 * - A preparation that fails (no apt mirror reachable, a package missing) is not committed: the task runs on the
 *   base image (its entry script tries the install itself, as before), and the same key is not tried again by
 *   this process for `RETRY_AFTER_MS` (10 minutes).
 * - Images carry the labels `clearml-agent-prepared-from` (base id) and `clearml-agent-prepared-key`.
 *   `cleanPreparedImages` removes those whose base image is gone or untagged (replaced under its name), untagged
 *   ones, and the oldest beyond `MAX_PREPARED` (10); the
 *   daemon calls it at start, with the other clean-up of earlier runs' docker state.
 * - Two daemons preparing the same key at once both commit the same content under the same tag: harmless.
 *
 * @module
 */

import { ContainerRun } from "./executor.ts";
import { type Engine, engineMessage, engineStatus, type ImageInspect, type ImageSummary } from "./engine.ts";

/** The repository of prepared images. */
export const PREPARED_REPO = "clearml-agent-prepared";
/** Labels of a prepared image. */
export const PREPARED_LABELS = { from: "clearml-agent-prepared-from", key: "clearml-agent-prepared-key" } as const;
/** Prepared images kept (the newest). */
export const MAX_PREPARED = 10;
/** How long a failed preparation is not retried by the same process. */
export const RETRY_AFTER_MS = 10 * 60_000;

const failedAt = new Map<string, number>();

/** Options of `preparedImage`. */
export interface PrepareOptions {
  /** The base image, inspected (its `Id` is part of the key). */
  base: ImageInspect;
  /** The base image's name (for messages). */
  baseName: string;
  /** `/bin/sh -c` script run once as root in a container of the base image; non-zero exit: not committed. */
  script: string;
  say: (line: string) => void;
  signal?: AbortSignal;
  /** @default Date.now */
  now?: () => number;
}

/** The cache key of a base image and a preparation script. */
export async function preparedKey(baseId: string, script: string): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify({ base: baseId, script, v: 1 }));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function inspectOrNull(engine: Engine, name: string): Promise<ImageInspect | null> {
  try {
    return await engine.getImage(name).inspect();
  } catch (err) {
    if (engineStatus(err) === 404) return null;
    throw err;
  }
}

/**
 * The prepared image for `base` and `script` (`name` and inspect data), built when missing; `null` when the
 * preparation failed (said once, and not retried for `RETRY_AFTER_MS`): the caller runs on the base image.
 */
export async function preparedImage(
  engine: Engine,
  o: PrepareOptions,
): Promise<{ name: string; image: ImageInspect } | null> {
  const now = o.now ?? Date.now;
  const key = await preparedKey(o.base.Id, o.script);
  const name = `${PREPARED_REPO}:${key}`;
  try {
    const found = await inspectOrNull(engine, name);
    if (found) return { name, image: found };
  } catch (err) {
    o.say(`Warning: cannot inspect prepared image ${name}: ${engineMessage(err)}`);
    return null;
  }
  const failed = failedAt.get(key);
  if (failed !== undefined && now() - failed < RETRY_AFTER_MS) return null;
  const started = performance.now();
  o.say(`Preparing docker image ${o.baseName} once (system packages), cached as ${name}`);
  const tail: string[] = [];
  let run: ContainerRun | undefined;
  try {
    run = await ContainerRun.start(engine, {
      Image: o.base.Id,
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: [o.script],
      User: "0",
      Labels: { [PREPARED_LABELS.from]: o.base.Id, [PREPARED_LABELS.key]: key },
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: { Init: true },
    });
    const onAbort = () => run?.terminate({ graceMs: 0 });
    o.signal?.addEventListener("abort", onAbort, { once: true });
    const decoder = new TextDecoder();
    for await (const chunk of run.output) {
      tail.push(...decoder.decode(chunk, { stream: true }).split("\n").filter((l) => l.trim() !== ""));
      tail.splice(0, Math.max(0, tail.length - 5));
    }
    const status = await run.status;
    o.signal?.removeEventListener("abort", onAbort);
    if (o.signal?.aborted) return null;
    if (status.code !== 0) throw new Error(`exit code ${status.code}${tail.length ? `: ${tail.join(" | ")}` : ""}`);
    const config = {
      Entrypoint: o.base.Config?.Entrypoint ?? [],
      Cmd: o.base.Config?.Cmd ?? null,
      User: o.base.Config?.User ?? "",
      WorkingDir: o.base.Config?.WorkingDir ?? "",
      Labels: { [PREPARED_LABELS.from]: o.base.Id, [PREPARED_LABELS.key]: key },
    };
    await run.commit(name, config, `clearml-agent prepared image of ${o.baseName}`);
    const image = await engine.getImage(name).inspect();
    o.say(`Prepared docker image ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { name, image };
  } catch (err) {
    failedAt.set(key, now());
    o.say(
      `Warning: cannot prepare docker image ${o.baseName} (${err instanceof Error ? err.message : err}); ` +
        `each task container installs what it needs instead (retried in ${RETRY_AFTER_MS / 60_000} min)`,
    );
    return null;
  } finally {
    await run?.remove();
  }
}

/**
 * Remove prepared images whose base image is gone, and all but the newest `keep`; resolves to the names removed.
 * Engine errors are reported, not thrown. Images in use by a container stay (the engine refuses).
 */
export async function cleanPreparedImages(
  engine: Engine,
  o: { say: (line: string) => void; keep?: number },
): Promise<string[]> {
  let list: ImageSummary[];
  try {
    list = await engine.listImages({ filters: { label: [PREPARED_LABELS.key] } });
  } catch (err) {
    o.say(`Warning: cannot list prepared images: ${engineMessage(err)}`);
    return [];
  }
  const sorted = [...list].sort((a, b) => b.Created - a.Created);
  const removed: string[] = [];
  for (const [i, img] of sorted.entries()) {
    const base = img.Labels?.[PREPARED_LABELS.from] ?? "";
    // Gone: removed, or no longer tagged (a newer pull or build took its name).
    const baseGone = base !== "" &&
      await inspectOrNull(engine, base).then((b) => b === null || (b.RepoTags ?? []).length === 0, () => false);
    const name = img.RepoTags?.find((t) => t.startsWith(`${PREPARED_REPO}:`));
    if (name && !baseGone && i < (o.keep ?? MAX_PREPARED)) continue;
    try {
      await engine.getImage(name ?? img.Id).remove({ force: false });
      removed.push(name ?? img.Id);
    } catch (err) {
      if (engineStatus(err) !== 409) {
        o.say(`Warning: cannot remove prepared image ${name ?? img.Id}: ${engineMessage(err)}`);
      }
    }
  }
  return removed;
}
