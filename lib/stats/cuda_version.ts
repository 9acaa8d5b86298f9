/**
 * CUDA version normalisation (agent-reference §10.3): the agent compares and keys caches by a short digit string
 * such as `"122"` for CUDA 12.2.
 *
 * @module
 */

/**
 * Normalise a CUDA version to the reference's digit form:
 * - dotted (`"12.2"`, `"11.8"`, `"10.0.130"`) → major × 10 + first digit of minor (`"122"`, `"118"`, `"100"`);
 * - NVML's integer, major × 1000 + minor × 10 (`"12020"`, `12020`, `"11000"`, `"9020"`) → `"122"`, `"110"`, `"92"`
 *   (the reference's character picking gives the same for 5-digit values);
 * - other plain digits are kept (`"122"`); empty, `"0"` or unparsable → `"0"`.
 */
export function normalizeCudaVersion(value: string | number | null | undefined): string {
  const text = String(value ?? "").trim();
  const dotted = /^(\d+)\.(\d)/.exec(text);
  if (dotted) return String(Number(dotted[1]) * 10 + Number(dotted[2]));
  if (!/^\d+$/.test(text) || Number(text) === 0) return "0";
  const n = Number(text);
  if (n >= 1000) return String(Math.floor(n / 1000) * 10 + Math.floor((n % 1000) / 10));
  return String(n);
}
