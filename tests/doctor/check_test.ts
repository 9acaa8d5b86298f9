import assert from "node:assert/strict";
import { type CheckResult, doctorExitCode, errorLine, formatCheck, skipped } from "../../lib/doctor/check.ts";

const ok: CheckResult = { name: "disk", ok: true, detail: "9.0 GB free", required: true };
const fail: CheckResult = { name: "server", ok: false, detail: "down", required: true };
const warn: CheckResult = { name: "uv", ok: false, detail: "not found", required: false };

Deno.test("formatCheck() tags ok, failed required, failed optional and skipped checks", () => {
  assert.equal(formatCheck(ok), "[ ok ] disk: 9.0 GB free");
  assert.equal(formatCheck(fail), "[FAIL] server: down");
  assert.equal(formatCheck(warn), "[warn] uv: not found");
  assert.equal(formatCheck(skipped("clock", "no server")), "[skip] clock: no server");
});

Deno.test("doctorExitCode() is 1 only when a required check failed", () => {
  assert.equal(doctorExitCode([ok, warn, skipped("clock", "x")]), 0);
  assert.equal(doctorExitCode([ok, warn, fail]), 1);
  assert.equal(doctorExitCode([]), 0);
});

Deno.test("errorLine() joins an error and its causes on one line", () => {
  const err = new Error('Cannot open "x"', { cause: new Error("No such file\nmore") });
  assert.equal(errorLine(err), 'Cannot open "x": No such file');
  assert.equal(errorLine("plain"), "plain");
});
