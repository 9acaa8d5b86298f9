/**
 * A program in a real pseudo-terminal, driven through tmux (its own server socket per session): wait for text
 * on the screen, type lines, read the whole screen history. Every wait is bounded.
 *
 * @module
 */

async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", { args: ["-L", socket, ...args], stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  return new TextDecoder().decode(out.stdout);
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command running in a tmux pane. */
export class TmuxSession {
  readonly socket = `clearml-test-${crypto.randomUUID().slice(0, 8)}`;

  /**
   * Start `argv` with `env` added and the `unset` variables removed, in a 200x50 terminal; when it exits the
   * pane shows `EXIT=<code>` and stays open.
   */
  async start(argv: string[], env: Record<string, string>, unset: string[] = []): Promise<void> {
    const assignments = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
    const removals = unset.map((name) => `-u ${quote(name)}`);
    const command = `env ${[...removals, ...assignments].join(" ")} ${argv.map(quote).join(" ")}; echo "EXIT=$?"; ` +
      "sleep 600";
    await tmux(this.socket, "new-session", "-d", "-s", "main", "-x", "200", "-y", "50", command);
  }

  /** The screen and its scrollback. */
  screen(): Promise<string> {
    return tmux(this.socket, "capture-pane", "-p", "-J", "-t", "main", "-S", "-1000");
  }

  /** Wait until `text` is on the screen (at most `timeoutMs`); resolves to the screen. */
  async waitFor(text: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.screen();
      if (typeof text === "string" ? screen.includes(text) : text.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Timed out waiting for ${JSON.stringify(String(text))}; screen:\n${screen}`);
  }

  /** Type `line` and press Enter. */
  async type(line: string): Promise<void> {
    if (line !== "") await tmux(this.socket, "send-keys", "-t", "main", "-l", "--", line);
    await tmux(this.socket, "send-keys", "-t", "main", "Enter");
  }

  /** Stop the tmux server (and the program). */
  async close(): Promise<void> {
    await tmux(this.socket, "kill-server").catch(() => "");
  }
}
