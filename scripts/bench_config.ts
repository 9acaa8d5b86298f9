/**
 * Benchmark of the clearml.conf reader: parses the documentation sample (agent-docs-clearml.conf, 537 lines)
 * repeatedly after a warm-up and prints the mean time per parse. Target: at most 2 ms.
 *
 * Usage: `npx deno run -A scripts/bench_config.ts [iterations]`
 *
 * @module
 */

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseHocon } from "../lib/config/hocon.ts";

/** The `shared/fixtures` folder next to (or above) the repository. */
function findFixtures(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    const candidate = join(dir, "shared", "fixtures");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`Cannot find "shared/fixtures" above ${fileURLToPath(import.meta.url)}`);
}

const file = join(findFixtures(), "clearml-conf", "agent-docs-clearml.conf");
const text = Deno.readTextFileSync(file);
const iterations = Number(Deno.args[0] ?? 2000);
const options = { filename: file, env: () => undefined };

const coldStart = performance.now();
parseHocon(text, options);
const cold = performance.now() - coldStart;
for (let i = 0; i < 200; i++) parseHocon(text, options);
const start = performance.now();
for (let i = 0; i < iterations; i++) parseHocon(text, options);
const mean = (performance.now() - start) / iterations;
console.log(
  `parseHocon ${file} (${text.split("\n").length - 1} lines): ${
    mean.toFixed(3)
  } ms per parse, mean of ${iterations} after warm-up (first parse: ${cold.toFixed(2)} ms)`,
);
