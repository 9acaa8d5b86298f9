/// <reference lib="dom" />
/**
 * A real browser for the web page tests: Debian's Chromium (headless, installed by `scripts/ci_services.sh`),
 * driven by puppeteer-core. `CHROMIUM` names another executable. A missing browser is an error, never a skip.
 * Screenshots go to `.artifacts/web/` (git-ignored) so that a person can look at them after a run.
 *
 * @module
 */

import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { ROOT } from "./cli.ts";

export type { Browser, Page };

/** Where screenshots are written. */
export const SCREENSHOT_DIR: string = join(ROOT, ".artifacts", "web");

function chromiumPath(): string {
  const candidates = [Deno.env.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
    (p): p is string => !!p,
  );
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* next */ }
  }
  throw new Error(`No Chromium found (tried ${candidates.join(", ")}): run scripts/ci_services.sh`);
}

/** Start a headless Chromium with a laptop-sized window. */
export async function launchBrowser(): Promise<Browser> {
  return await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    defaultViewport: { width: 1366, height: 820 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
  });
}

/** Save a full-page screenshot as `.artifacts/web/<name>.png`; resolves to its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}

/** Collect the page's uncaught errors (a test asserts there are none). */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err instanceof Error ? err.message : String(err)));
  return errors;
}

/** Sign in through the form. */
export async function signIn(page: Page, accessKey: string, secretKey: string): Promise<void> {
  await page.waitForSelector("#access-key");
  await page.$eval("#access-key", (e) => ((e as HTMLInputElement).value = ""));
  await page.$eval("#secret-key", (e) => ((e as HTMLInputElement).value = ""));
  await page.type("#access-key", accessKey);
  await page.type("#secret-key", secretKey);
  await page.click("form.signin button[type=submit]");
}

/** Wait until the text of `selector` matches `pattern`; resolves to that text. */
export async function waitText(page: Page, selector: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  await page.waitForFunction(
    (sel, src, flags) => new RegExp(src, flags).test(document.querySelector(sel)?.textContent ?? ""),
    { timeout: timeoutMs, polling: 100 },
    selector,
    pattern.source,
    pattern.flags,
  );
  return await page.$eval(selector, (e) => e.textContent ?? "");
}
