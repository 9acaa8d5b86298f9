/**
 * The typed face of `npm:dockerode` (the Docker Engine API over its unix socket or TCP, as `DOCKER_HOST` says):
 * only the calls the agent makes, and the engine's error text made into one clear line.
 *
 * @module
 */

/** A Node readable stream (what dockerode hands out). */
export interface NodeStream {
  on(event: "data", fn: (chunk: Uint8Array) => void): NodeStream;
  on(event: "end" | "close", fn: () => void): NodeStream;
  on(event: "error", fn: (err: Error) => void): NodeStream;
  destroy(): void;
}

/** `GET /containers/{id}/json`, the parts we read. */
export interface ContainerInspect {
  Id: string;
  Name?: string;
  State: { Status: string; Running: boolean; OOMKilled: boolean; ExitCode: number; Error: string; Pid?: number };
  Config: { Cmd?: string[] | null; Env?: string[] | null; Labels?: Record<string, string> | null; Image?: string };
  Args?: string[];
  Path?: string;
  HostConfig?: Record<string, unknown>;
}

/** `GET /images/{name}/json`, the parts we read. */
export interface ImageInspect {
  Id: string;
  RepoTags?: string[];
  Config?: {
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
    Labels?: Record<string, string> | null;
  } | null;
}

/** `GET /containers/json` entries. */
export interface ContainerSummary {
  Id: string;
  Names?: string[];
  State?: string;
  Labels?: Record<string, string>;
}

/** `GET /images/json` entries, the parts we read. */
export interface ImageSummary {
  Id: string;
  Created: number;
  RepoTags?: string[] | null;
  Labels?: Record<string, string> | null;
}

/** A container handle. */
export interface EngineContainer {
  id: string;
  inspect(): Promise<ContainerInspect>;
  attach(opts: Record<string, unknown>): Promise<NodeStream>;
  start(): Promise<unknown>;
  wait(opts?: Record<string, unknown>): Promise<{ StatusCode: number; Error?: { Message?: string } | null }>;
  stop(opts?: { t?: number }): Promise<unknown>;
  kill(opts?: { signal?: string }): Promise<unknown>;
  remove(opts?: { force?: boolean; v?: boolean }): Promise<unknown>;
  infoArchive(opts: { path: string }): Promise<unknown>;
  commit(opts: Record<string, unknown>): Promise<{ Id: string }>;
}

/** An image handle. */
export interface EngineImage {
  inspect(): Promise<ImageInspect>;
  remove(opts?: { force?: boolean; noprune?: boolean }): Promise<unknown>;
}

/** The engine. */
export interface Engine {
  ping(): Promise<unknown>;
  info(): Promise<{ Runtimes?: Record<string, unknown>; ServerVersion?: string }>;
  getImage(name: string): EngineImage;
  getContainer(id: string): EngineContainer;
  listContainers(opts: Record<string, unknown>): Promise<ContainerSummary[]>;
  listImages(opts: Record<string, unknown>): Promise<ImageSummary[]>;
  createContainer(opts: Record<string, unknown>): Promise<EngineContainer>;
  pull(image: string, opts?: Record<string, unknown>): Promise<NodeStream>;
  modem: {
    followProgress(
      stream: NodeStream,
      onFinished: (err: Error | null, output: unknown[]) => void,
      onProgress?: (event: Record<string, unknown>) => void,
    ): void;
  };
}

/** The engine address, for messages: `DOCKER_HOST` or the default socket. */
export function engineAddress(env: Record<string, string | undefined> = Deno.env.toObject()): string {
  return env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

/** An engine client for `DOCKER_HOST` (or the default unix socket). Nothing is contacted yet. */
export async function openEngine(): Promise<Engine> {
  // Loaded on first use: dockerode and its dependencies cost about 30 MB of memory, which a venv-mode daemon or the
  // server should not pay.
  const { default: Docker } = await import("dockerode");
  return new Docker() as unknown as Engine;
}

/** The HTTP status of an engine error (404 for "no such image"), if it has one. */
export function engineStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** One line for an engine error: the engine's own message, or what went wrong with the connection. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string } | string | null; reason?: string; message?: string; code?: string };
  const json = typeof e?.json === "object" && e.json?.message ? e.json.message : undefined;
  if (json) return json.trim();
  if (typeof e?.json === "string" && e.json.trim()) return e.json.trim();
  const code = e?.code;
  if (code === "ENOENT") {
    return `cannot reach the Docker engine at "${engineAddress()}": no such socket (is dockerd running?)`;
  }
  if (code === "EACCES") return `cannot reach the Docker engine at "${engineAddress()}": permission denied`;
  if (code === "ECONNREFUSED") return `cannot reach the Docker engine at "${engineAddress()}": connection refused`;
  const message = (e?.message ?? String(err)).replace(/^\(HTTP code \d+\) [\w ]+ - /, "").trim();
  return message || "unknown Docker engine error";
}
