/**
 * Benchmark of the clearml.conf reader: parses the documentation sample (agent-docs-clearml.conf, 537 lines)
 * repeatedly after a warm-up and prints the mean time per parse. Target: at most 2 ms.
 *
 * Usage: `npx deno run -A scripts/bench_config.ts [iterations]`
 *
 * @module
 */

import { fixture } from "../tests/helpers/fixtures.ts";
import { parseHocon } from "../lib/config/hocon.ts";

const file = fixture("clearml-conf", "agent-docs-clearml.conf");
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
