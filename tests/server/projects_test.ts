import assert from "node:assert/strict";
import { withServer } from "../helpers/server.ts";

Deno.test("projects.create normalises names, creates ancestors and refuses duplicates", async () => {
  await withServer(async ({ client }) => {
    const { id } = await client.ok("projects.create", { name: " Team / Vision /  Detection ", description: "" });
    const { project } = await client.ok("projects.get_by_id", { project: id });
    assert.equal(project.name, "Team/Vision/Detection");
    assert.equal(project.basename, "Detection");
    assert.equal(project.path, undefined, "path is hidden unless projected");
    const parents = await client.ok("projects.get_all", {
      name: "^Team",
      only_fields: ["name", "parent", "path"],
      order_by: ["name"],
    });
    assert.deepEqual(parents.projects.map((p: { name: string }) => p.name), [
      "Team",
      "Team/Vision",
      "Team/Vision/Detection",
    ]);
    const [team, vision, det] = parents.projects;
    assert.equal(vision.parent, team.id);
    assert.deepEqual(det.path, [team.id, vision.id]);
    const dup = await client.call("projects.create", { name: "Team/Vision/Detection" });
    assert.equal(dup.meta.result_subcode, 801);
    assert.match(dup.meta.result_msg, /^Project with the same name already exists/);
    assert.equal((await client.call("projects.create", { name: " / " })).meta.result_subcode, 407);
    assert.equal((await client.call("projects.create", {})).meta.result_subcode, 11);
    assert.equal(
      (await client.call("projects.create", { name: Array(12).fill("abc").join("/") })).meta.result_subcode,
      409,
    );
    assert.equal((await client.call("projects.get_by_id", { project: "0".repeat(32) })).meta.result_subcode, 401);
    const exact = await client.ok("projects.get_all", {
      name: "^Team/Vision$",
      only_fields: ["id"],
      search_hidden: true,
    }, { version: "2.23" });
    assert.deepEqual(exact.projects, [{ id: vision.id }]);
    const sub = await client.ok("projects.get_all", { parent: [team.id], only_fields: ["name"] });
    assert.deepEqual(sub.projects.map((p: { name: string }) => p.name).sort(), [
      "Team/Vision",
      "Team/Vision/Detection",
    ]);
    const shallow = await client.ok("projects.get_all", {
      parent: [team.id],
      shallow_search: true,
      only_fields: ["name"],
    });
    assert.deepEqual(shallow.projects.map((p: { name: string }) => p.name), ["Team/Vision"]);
    const top = await client.ok("projects.get_all", { shallow_search: true, only_fields: ["name"] });
    assert.deepEqual(top.projects.map((p: { name: string }) => p.name), ["Team"]);
    await client.ok("projects.create", { name: "secret stuff", system_tags: ["hidden"] });
    assert.equal((await client.ok("projects.get_all", { name: "secret" })).projects.length, 0);
    assert.equal((await client.ok("projects.get_all", { name: "secret", search_hidden: true })).projects.length, 1);
    const renamed = await client.ok("projects.update", {
      project: team.id,
      name: "Squad",
      default_output_destination: "s3://b",
    });
    assert.equal(renamed.updated, 1);
    assert.equal((await client.ok("projects.get_by_id", { project: det.id })).project.name, "Squad/Vision/Detection");
  });
});
