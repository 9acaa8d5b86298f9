import assert from "node:assert/strict";
import { join } from "node:path";
import { upstreamFixtures, VENDORED_FIXTURES } from "./helpers/fixtures.ts";

function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of Deno.readDirSync(join(dir, rel))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory) walk(path);
      else out.set(path, Deno.readTextFileSync(join(dir, path)));
    }
  };
  walk("");
  return out;
}

Deno.test("the in-repository fixtures hold every clearml.conf sample and nvidia-smi capture", () => {
  const files = [...listing(VENDORED_FIXTURES).keys()];
  assert.equal(files.filter((f) => /^clearml-conf\/.*\.conf$/.test(f)).length, 7);
  assert.equal(files.filter((f) => /^clearml-conf\/.*\.conf\.expected\.json$/.test(f)).length, 7);
  assert.equal(files.filter((f) => /^nvidia-smi\/.*\.xml$/.test(f)).length, 12);
});

Deno.test("the in-repository fixtures are byte-identical to shared/fixtures where that exists", () => {
  const upstream = upstreamFixtures();
  if (upstream === undefined) return; // a clone without the workplace's shared/ folder: the copy is the source
  const ours = listing(VENDORED_FIXTURES);
  const theirs = listing(upstream);
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), "run scripts/sync_fixtures.sh");
  for (const [path, text] of theirs) {
    assert.equal(ours.get(path), text, `${path} differs: run scripts/sync_fixtures.sh`);
  }
});
