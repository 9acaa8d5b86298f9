/** Prepared images against the real engine: built once per (image id, script), reused, not cached on failure, cleaned. */
import assert from "node:assert/strict";
import { ContainerRun } from "../../../executors/docker/executor.ts";
import {
  cleanPreparedImages,
  PREPARED_LABELS,
  PREPARED_REPO,
  preparedImage,
  preparedKey,
} from "../../../executors/docker/prepared.ts";
import { removeImage, requireEngine, TEST_IMAGE, TEST_LABEL } from "./_engine_env.ts";

const [LABEL_KEY, LABEL_VALUE] = TEST_LABEL.split("=");

async function runIn(image: string, script: string): Promise<{ code: number; out: string }> {
  const engine = await requireEngine();
  const run = await ContainerRun.start(engine, {
    Image: image,
    Cmd: ["/bin/sh", "-c", script],
    Labels: { [LABEL_KEY]: LABEL_VALUE },
    HostConfig: { Init: true },
  });
  try {
    const out = await new Response(run.output).text();
    return { code: (await run.status).code ?? 1, out };
  } finally {
    await run.remove();
  }
}

Deno.test("preparedKey() changes with the base image id and with the script", async () => {
  const a = await preparedKey("sha256:aa", "apt-get install x");
  assert.match(a, /^[0-9a-f]{24}$/);
  assert.equal(await preparedKey("sha256:aa", "apt-get install x"), a);
  assert.notEqual(await preparedKey("sha256:bb", "apt-get install x"), a);
  assert.notEqual(await preparedKey("sha256:aa", "apt-get install y"), a);
});

Deno.test("preparedImage() prepares once per image and script, reuses it, caches no failure, and is cleaned", async () => {
  const engine = await requireEngine();
  const tag = crypto.randomUUID().slice(0, 8);
  const created: string[] = [];
  const lines: string[] = [];
  const say = (l: string) => lines.push(l);
  try {
    // A base of our own (so that this test's images are its own): the test image plus a unique file.
    const test = await engine.getImage(TEST_IMAGE).inspect();
    const base = await preparedImage(engine, { base: test, baseName: TEST_IMAGE, script: `echo ${tag} > /base`, say });
    assert.ok(base, lines.join("\n"));
    created.push(base.name);

    // An apt-less preparation (the test cannot rely on package mirrors): it runs once, as root, and is committed.
    const script = "set -e; id -u > /prepared; echo prepared";
    const first = await preparedImage(engine, { base: base.image, baseName: "base", script, say });
    assert.ok(first);
    created.push(first.name);
    assert.ok(first.name.startsWith(`${PREPARED_REPO}:`));
    assert.equal(first.image.Config?.Labels?.[PREPARED_LABELS.from], base.image.Id);
    assert.equal(lines.filter((l) => l.startsWith("Preparing docker image base")).length, 1);
    const again = await preparedImage(engine, { base: base.image, baseName: "base", script, say });
    assert.equal(again?.image.Id, first.image.Id);
    assert.equal(lines.filter((l) => l.startsWith("Preparing docker image base")).length, 1, "reused, not rebuilt");
    const inside = await runIn(first.name, "cat /prepared /base");
    assert.deepEqual(inside, { code: 0, out: `0\n${tag}\n` });

    // Another script: another image.
    const other = await preparedImage(engine, { base: base.image, baseName: "base", script: script + " ", say });
    assert.ok(other && other.name !== first.name);
    created.push(other.name);

    // A failing preparation is not committed and not retried at once; the caller runs on the base image.
    const failing = `exit 3 # ${tag}`;
    assert.equal(await preparedImage(engine, { base: base.image, baseName: "base", script: failing, say }), null);
    assert.match(lines.join("\n"), /Warning: cannot prepare docker image base \(exit code 3\)/);
    const tries = lines.filter((l) => l.startsWith("Preparing")).length;
    assert.equal(await preparedImage(engine, { base: base.image, baseName: "base", script: failing, say }), null);
    assert.equal(lines.filter((l) => l.startsWith("Preparing")).length, tries, "not retried within 10 minutes");

    // The base replaced under its name (here: untagged): images prepared from it are removed, the rest stays.
    await engine.getImage(base.name).remove({ force: true });
    const removed = await cleanPreparedImages(engine, { say, keep: 1_000 });
    for (const name of [first.name, other.name]) assert.ok(removed.includes(name), `${name} in ${removed}`);
    for (const name of [first.name, other.name]) {
      await assert.rejects(() => engine.getImage(name).inspect());
    }
  } finally {
    for (const name of created.reverse()) await removeImage(name);
  }
});
