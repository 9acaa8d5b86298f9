/** `resolveTaskId()` and `resolveExecuteTaskId()` against the embedded server: the two rules side by side. */
import assert from "node:assert/strict";
import { ApiClient } from "../../lib/api/client.ts";
import { resolveExecuteTaskId, resolveTaskId } from "../../lib/task/resolve.ts";
import { TEST_ACCESS_KEY, TEST_SECRET_KEY, withServer } from "../helpers/server.ts";

Deno.test("resolveTaskId() checks ids and names; resolveExecuteTaskId() takes an id as given", async () => {
  await withServer(async (srv) => {
    const create = async (name: string) => (await srv.client.ok("tasks.create", { name, type: "training" })).id;
    const one = await create("Train One");
    const twins = [await create("twin"), await create("twin")];
    const client = new ApiClient({ host: srv.url, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY });
    const missingId = "0".repeat(32);

    for (const resolve of [resolveTaskId, resolveExecuteTaskId]) {
      assert.equal(await resolve(client, one), one, resolve.name);
      assert.equal(await resolve(client, "Train One"), one, `${resolve.name}: by name`);
      await assert.rejects(resolve(client, "train"), /^Error: Unknown task "train": no task has this id or name$/);
      await assert.rejects(
        resolve(client, "twin"),
        new RegExp(`^Error: Found several tasks named "twin": ${twins.join(", ")}: use the id$`),
      );
    }
    await assert.rejects(resolveTaskId(client, missingId), /Unknown task "0{32}"/);
    assert.equal(await resolveExecuteTaskId(client, missingId), missingId, "an id-looking value is not looked up");
    assert.equal(
      await resolveExecuteTaskId(client, "abc-123-abc-123-abc-123-abc-123"),
      "abc-123-abc-123-abc-123-abc-123",
    );
  });
});
