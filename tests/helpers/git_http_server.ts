/**
 * Serves git repositories over HTTP with basic auth for tests: `git http-backend` (CGI) behind `Deno.serve`.
 * Git's smart protocol sends GET only for `info/refs` (no body) and POST for packs, so `Deno.serve` is enough.
 *
 * @module
 */

/** A running server. */
export interface GitHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; repositories are at `/<folder name>`. */
  url: string;
  /** Basic-auth requests seen (user names), for assertions. */
  users: string[];
  close(): Promise<void>;
}

const BACKEND = "/usr/lib/git-core/git-http-backend";

/** Serve every repository under `root`; requests need `user:pass` basic auth. */
export function serveGitHttp(root: string, user: string, pass: string): GitHttpServer {
  const users: string[] = [];
  const expected = `Basic ${btoa(`${user}:${pass}`)}`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const auth = req.headers.get("authorization");
    if (auth !== expected) {
      await req.body?.cancel();
      return new Response("auth required", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="git"' } });
    }
    users.push(user);
    const url = new URL(req.url);
    const body = new Uint8Array(await req.arrayBuffer());
    const child = new Deno.Command(BACKEND, {
      env: {
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        REQUEST_METHOD: req.method,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers.get("content-type") ?? "",
        CONTENT_LENGTH: String(body.byteLength),
        HTTP_CONTENT_ENCODING: req.headers.get("content-encoding") ?? "",
        GIT_PROTOCOL: req.headers.get("git-protocol") ?? "",
        REMOTE_USER: user,
        REMOTE_ADDR: "127.0.0.1",
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(body);
    await writer.close();
    const out = await child.output();
    const bytes = out.stdout;
    let split = -1;
    for (let i = 0; i + 3 < bytes.length; i++) {
      if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
        split = i;
        break;
      }
    }
    if (split < 0) return new Response("bad CGI output", { status: 500 });
    const head = new TextDecoder().decode(bytes.subarray(0, split));
    const headers = new Headers();
    let status = 200;
    for (const line of head.split("\r\n")) {
      const at = line.indexOf(":");
      if (at < 0) continue;
      const name = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (name.toLowerCase() === "status") status = parseInt(value, 10);
      else headers.append(name, value);
    }
    return new Response(bytes.slice(split + 4), { status, headers });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, users, close: () => server.shutdown() };
}
