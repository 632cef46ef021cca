// Time per `assess` in Node on the example data set (not a test; it prints),
// for the three builds: pkg/node (built for speed, what Node gets), pkg/web
// (built for size and without the engine's fast path, what the page loads)
// and pkg/web-fast (the browser module built for speed), and natively, the
// cases and builds alternated, so that a busy machine slows them alike.
//   node wasm/tests/timing.mjs
// The native reference (built on first use) does the same work, the same
// records as JSON text in and JSON lines out:
//   cargo run --release -p mezon --example profile_assess -- rules/uz-egov-quality/2016.1 examples/2016/services.csv 20 json
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EXAMPLES, PACK_2016, bundleText, csvRecords, loadModules, median, nativeUsPerAssess } from './helpers.mjs';

const modules = await loadModules();
const bundle = bundleText(PACK_2016).text;
const packs = {};
for (const [build, { Pack }] of Object.entries(modules)) {
  const t = performance.now();
  packs[build] = Pack.fromBundle(bundle);
  console.log(`${build} build: Pack.fromBundle (compile the 2016 pack): ${(performance.now() - t).toFixed(1)} ms`);
}
const records = csvRecords(readFileSync(join(EXAMPLES, 'services.csv'), 'utf8'), packs.node.info().input.fields);
for (const pack of Object.values(packs)) for (const r of records) pack.assess(r); // warm-up
const rounds = 5;
const texts = records.map((r) => JSON.stringify(r));
const cases = Object.entries(packs).flatMap(([build, pack]) => [
  [build, 'assess (object in, object out)', (i) => pack.assess(records[i])],
  [build, 'assessJson (object in, JSON line out)', (i) => pack.assessJson(records[i])],
  // The same work as the native reference: JSON text in, JSON line out.
  [build, 'assessJson (JSON text in, JSON line out)', (i) => pack.assessJson(texts[i]), true],
]);
// Each case timed in seven runs of `rounds` passes, the cases and the
// native reference alternated. Printed: the median run and the best one
// (runs swing with GC and with other work on the machine, which only ever
// adds time); JSON text in, the native reference's work, also as a
// multiple of native's.
const RUNS = 7;
const runs = cases.map(() => []);
const nativeRuns = [];
for (let run = 0; run < RUNS; run++) {
  nativeRuns.push(nativeUsPerAssess(4 * rounds));
  cases.forEach(([, , fn], c) => {
    const t = performance.now();
    for (let k = 0; k < rounds; k++) for (let i = 0; i < records.length; i++) fn(i);
    runs[c].push(((performance.now() - t) * 1000) / (rounds * records.length));
  });
}
const best = (xs) => Math.min(...xs);
const [nMedian, nBest] = [median(nativeRuns), best(nativeRuns)];
console.log(`${RUNS} runs each, alternated; per assess, median and best run`);
console.log(`native: JSON text in, JSON line out: ${nMedian.toFixed(2)} µs, ${nBest.toFixed(2)} µs (runs of ${4 * rounds * records.length})`);
cases.forEach(([build, name, , sameAsNative], c) => {
  const [m, b] = [median(runs[c]), best(runs[c])];
  const times = sameAsNative ? `; ${(m / nMedian).toFixed(2)}× and ${(b / nBest).toFixed(2)}× native` : '';
  console.log(`${build} build: ${name}: ${m.toFixed(2)} µs, ${b.toFixed(2)} µs (runs of ${rounds * records.length}${times})`);
});
