/**
 * `pytorch_resolve: direct`: the exact wheel of a torch-family requirement, looked up on the CUDA index's page for
 * the package (`<index>/torch/`, the layout of download.pytorch.org/whl/cuXYZ/): the highest version that the
 * requirement's `==X` (or `==X.*`) allows, built for this interpreter (`cpXY` or `py3`) and machine (`any`, or a
 * Linux platform of this architecture). The requirement becomes `torch @ <wheel URL>`.
 *
 * @module
 */

import { requirementName } from "./install_plan.ts";

/** Reads a page; undefined when it does not answer 2xx. */
export type FetchText = (url: string) => Promise<string | undefined>;

async function httpText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return await res.text();
  } catch {
    return undefined;
  }
}

interface Wheel {
  url: string;
  version: string;
}

const REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?:==\s*([0-9][^\s;,]*))?\s*(;.*)?$/;
const WHEEL = /^([A-Za-z0-9_.]+)-([^-]+)-([^-]+)-([^-]+)-([^-]+)\.whl$/;

function publicParts(version: string): number[] {
  return version.split("+")[0].split(".").map((p) => parseInt(p, 10)).map((n) => Number.isFinite(n) ? n : 0);
}

function newer(a: string, b: string): boolean {
  const x = publicParts(a);
  const y = publicParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
}

function versionMatches(version: string, wanted: string | undefined): boolean {
  if (!wanted) return true;
  const pub = version.split("+")[0];
  if (wanted.endsWith(".*")) return pub === wanted.slice(0, -2) || pub.startsWith(wanted.slice(0, -1));
  return wanted.includes("+") ? version === wanted : pub === wanted;
}

function fits(pyTags: string, platform: string, python: string, arch: string): boolean {
  const [major, minor] = python.split(".");
  const okTags = new Set([`cp${major}${minor}`, `py${major}${minor}`, `py${major}`]);
  if (!pyTags.split(".").some((t) => okTags.has(t))) return false;
  return platform === "any" || platform.split(".").some((p) => /linux/.test(p) && p.endsWith(arch));
}

/** Options of `directWheelUrl`. */
export interface DirectOptions {
  /** The requirement line (`torch==2.1.0`). */
  line: string;
  /** The CUDA index, ending in `/`. */
  indexUrl: string;
  /** Interpreter version (`3.11.7`). */
  python: string;
  /** Machine architecture as wheels name it (default: this machine's). */
  arch?: string;
  fetchText?: FetchText;
}

/** The requirement line pointing at its exact wheel, or undefined when the page has none that fits. */
export async function directWheelLine(o: DirectOptions): Promise<string | undefined> {
  const m = REQUIREMENT.exec(o.line.trim());
  if (!m) return undefined;
  const name = requirementName(m[1])!;
  const page = new URL(`${name}/`, o.indexUrl).href;
  const html = await (o.fetchText ?? httpText)(page);
  if (html === undefined) return undefined;
  const arch = o.arch ?? (Deno.build.arch === "aarch64" ? "aarch64" : "x86_64");
  let best: Wheel | undefined;
  for (const [, href] of html.matchAll(/href="([^"]+)"/g)) {
    const url = new URL(href.replaceAll("&amp;", "&"), page);
    url.hash = "";
    const file = decodeURIComponent(url.pathname.split("/").at(-1) ?? "");
    const w = WHEEL.exec(file);
    if (!w || requirementName(w[1]) !== name) continue;
    if (!versionMatches(w[2], m[3]) || !fits(w[3], w[5], o.python, arch)) continue;
    if (!best || newer(w[2], best.version)) best = { url: url.href, version: w[2] };
  }
  if (!best) return undefined;
  return `${m[1]}${m[2] ?? ""} @ ${best.url}${m[4] ? ` ${m[4]}` : ""}`;
}
