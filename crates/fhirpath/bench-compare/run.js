// Same workload as benches/search_params.rs on the reference engine
// fhirpath@5.2.0 with its R4 model: every R4 SearchParameter expression on
// every official example of its base types, expressions compiled once.
// Usage: see README.md.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');

const data = process.argv[2] || path.join(__dirname, '../../../../shared/data');
const bundle = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(data, 'fhir-r4/search-parameters.json.gz'))));
const examples = {};
for (const name of fs.readdirSync(path.join(data, 'fhir-examples')).sort()) {
  let json;
  try { json = JSON.parse(fs.readFileSync(path.join(data, 'fhir-examples', name), 'utf8')); } catch (e) { continue; }
  if (json.resourceType) (examples[json.resourceType] = examples[json.resourceType] || []).push(json);
}
const work = [];
for (const entry of bundle.entry) {
  const sp = entry.resource;
  if (!sp.expression) continue;
  let fn;
  try { fn = fhirpath.compile(sp.expression, r4); } catch (e) { continue; }
  const inputs = [];
  for (const base of sp.base || []) inputs.push(...(examples[base] || []));
  work.push([fn, inputs]);
}
const evaluations = work.reduce((n, [, inputs]) => n + inputs.length, 0);
function pass() {
  let items = 0, errors = 0;
  for (const [fn, inputs] of work) {
    for (const input of inputs) {
      try { items += fn(input).length; } catch (e) { errors++; }
    }
  }
  return [items, errors];
}
pass(); // warm-up (JIT)
const rounds = Number(process.argv[3] || 5);
const start = process.hrtime.bigint();
let last;
for (let i = 0; i < rounds; i++) last = pass();
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${work.length} expressions, ${evaluations} evaluations per round, ${last[1]} errors`);
console.log(`${(evaluations * rounds / seconds).toFixed(0)} evaluations/s (${(seconds / rounds * 1000).toFixed(1)} ms per round)`);
