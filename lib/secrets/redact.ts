/**
 * Secret redaction applied to every byte the agent prints or ships: registered secret values are replaced by
 * `********`, and passwords embedded in URLs (`scheme://user:pass@host`) are masked.
 *
 * @module
 */

/** The mask the reference uses for hidden values in printed commands. */
export const MASK = "********";

const secrets = new Set<string>();
let pattern: RegExp | null = null;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Register a secret value so that it is masked wherever it appears. Values shorter than 4 characters are ignored
 * (masking them would garble ordinary text).
 */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  const sorted = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
  pattern = new RegExp(sorted.join("|"), "g");
}

/** Forget every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
  pattern = null;
}

const URL_CREDENTIALS = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s:/@]+):([^\s@/]+)@/g;

/** Mask the password part of every `scheme://user:password@` in `text`. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1:${MASK}@`);
}

/** Mask registered secrets and URL passwords in `text`. */
export function redact(text: string): string {
  let out = pattern ? text.replace(pattern, MASK) : text;
  if (out.includes("@")) out = maskUrlPasswords(out);
  return out;
}
