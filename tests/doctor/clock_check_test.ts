import assert from "node:assert/strict";
import { clockCheck } from "../../lib/doctor/clock_check.ts";

Deno.test("clockCheck() passes within the tolerated skew and fails beyond it or without a Date", () => {
  const server = Date.parse("Tue, 01 Sep 2026 10:00:00 GMT");
  const table: Array<[string | undefined, number, boolean, boolean, RegExp]> = [
    ["Tue, 01 Sep 2026 10:00:00 GMT", server + 400, true, true, /^\+0\.4 s from the server's clock$/],
    ["Tue, 01 Sep 2026 10:00:00 GMT", server + 299_000, true, true, /^\+299\.0 s/],
    ["Tue, 01 Sep 2026 10:00:00 GMT", server + 301_000, false, true, /\+301\.0 s off .*more than 300 s.*timedatectl/],
    ["Tue, 01 Sep 2026 10:00:00 GMT", server - 3_600_000, false, true, /-3600\.0 s off/],
    ["not a date", server, false, false, /no usable Date header/],
    [undefined, server, false, false, /no usable Date header/],
  ];
  for (const [serverDate, localMs, ok, required, detail] of table) {
    const r = clockCheck({ serverDate, localMs });
    assert.equal(r.ok, ok, `${serverDate} ${localMs - server}`);
    assert.equal(r.required, required);
    assert.match(r.detail, detail);
  }
  assert.equal(
    clockCheck({ serverDate: "Tue, 01 Sep 2026 10:00:00 GMT", localMs: server + 20_000, maxSkewS: 10 }).ok,
    false,
  );
});
