import assert from "node:assert/strict";
import { renderFields, renderTable, shortDate } from "../../lib/task/table.ts";

Deno.test("renderTable() pads columns to the widest cell and cuts long cells", () => {
  const text = renderTable(
    [{ header: "ID" }, { header: "NAME", maxWidth: 6 }, { header: "STATUS" }],
    [["a1", "short", "queued"], ["b22", "a much longer name", ""]],
  );
  assert.equal(text, "ID   NAME    STATUS\na1   short   queued\nb22  a muc…\n");
});

Deno.test("renderFields() aligns values, indents continuation lines and drops empty values", () => {
  const text = renderFields([["id", "x"], ["requirements", "six\ntqdm"], ["queue", undefined], ["tag", ""]]);
  assert.equal(text, "id:           x\nrequirements: six\n              tqdm\n");
});

Deno.test("shortDate() shows ISO dates as date and time", () => {
  assert.equal(shortDate("2025-01-01T10:00:00.123000+00:00"), "2025-01-01 10:00:00");
  assert.equal(shortDate(undefined), "");
  assert.equal(shortDate("yesterday"), "yesterday");
});
