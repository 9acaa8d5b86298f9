/**
 * Task images: inspect, pull when missing (always with `agent.docker_force_pull`), and a clear error when the
 * image cannot be had. Pull progress is summarised (one line per layer state change would flood the task log):
 * the start, each status line of the engine that is not per-layer progress, and the end.
 *
 * @module
 */

import { SetupError } from "../executor.ts";
import { type Engine, engineMessage, engineStatus, type ImageInspect } from "./engine.ts";

/** Options of `ensureImage`. */
export interface EnsureImageOptions {
  /** Pull even when the image is here (`agent.docker_force_pull`); a failed pull then keeps the local image. */
  forcePull?: boolean;
  say?: (line: string) => void;
  signal?: AbortSignal;
}

/** `name` with `:latest` when it names no tag or digest (what the engine pulls). */
export function withTag(image: string): string {
  const lastSlash = image.lastIndexOf("/");
  const tail = image.slice(lastSlash + 1);
  return tail.includes(":") || tail.includes("@") ? image : `${image}:latest`;
}

/** `name:tag` split (the tag defaults to `latest`). */
export function splitImageName(image: string): { repo: string; tag: string } {
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? { repo: image.slice(0, colon), tag: image.slice(colon + 1) } : { repo: image, tag: "latest" };
}

/** Inspect an image; `null` when the engine does not have it. Other engine errors throw. */
export async function inspectImage(engine: Engine, image: string): Promise<ImageInspect | null> {
  try {
    return await engine.getImage(image).inspect();
  } catch (err) {
    if (engineStatus(err) === 404) return null;
    throw err;
  }
}

/** Pull `image`; resolves when the engine has it. Throws with the engine's message. */
export async function pullImage(engine: Engine, image: string, options: EnsureImageOptions = {}): Promise<void> {
  const say = options.say ?? (() => {});
  say(`Pulling docker image ${image}`);
  const stream = await engine.pull(withTag(image), { abortSignal: options.signal });
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      stream.destroy();
      reject(new Error("interrupted"));
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    engine.modem.followProgress(stream, (err) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve();
    }, (event) => {
      if (typeof event.error === "string") return;
      if (typeof event.status === "string" && !event.id) say(event.status);
    });
  });
}

/**
 * Make sure the engine has `image`, pulling when missing (or always with `forcePull`); resolves to its inspect
 * data. Throws `SetupError` (phase `image`) with one line naming the image and the engine's reason.
 */
export async function ensureImage(
  engine: Engine,
  image: string,
  options: EnsureImageOptions = {},
): Promise<ImageInspect> {
  let local: ImageInspect | null;
  try {
    local = await inspectImage(engine, image);
  } catch (err) {
    throw new SetupError("image", `Cannot inspect docker image "${image}": ${engineMessage(err)}`, { cause: err });
  }
  if (local && !options.forcePull) return local;
  try {
    await pullImage(engine, image, options);
  } catch (err) {
    if (local) {
      options.say?.(`Warning: could not pull docker image "${image}" (${engineMessage(err)}): using the local one`);
      return local;
    }
    throw new SetupError(
      "image",
      `Docker image "${image}" is not available locally and cannot be pulled: ${engineMessage(err)}`,
      { cause: err },
    );
  }
  const pulled = await inspectImage(engine, image).catch(() => null);
  if (!pulled) throw new SetupError("image", `Docker image "${image}" is missing after the pull`);
  return pulled;
}
