// Same workload as benches/search_params.rs on the reference engine
// fhirpath@5.2.0 with its R4 model: every official example with every R4
// SearchParameter expression of its type, expressions compiled once.
// Usage: see README.md.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');

const data = process.argv[2] || path.join(__dirname, '../../../../shared/data');
const bundle = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(data, 'fhir-r4/search-parameters.json.gz'))));
// Resource-major, as indexing does it (same order as benches/support/workload.rs).
const byType = {};
for (const entry of bundle.entry) {
  const sp = entry.resource;
  if (!sp.expression) continue;
  let fn;
  try { fn = fhirpath.compile(sp.expression, r4); } catch (e) { continue; }
  for (const base of sp.base || []) (byType[base] = byType[base] || []).push(fn);
}
const work = [];
for (const name of fs.readdirSync(path.join(data, 'fhir-examples')).sort()) {
  let json;
  try { json = JSON.parse(fs.readFileSync(path.join(data, 'fhir-examples', name), 'utf8')); } catch (e) { continue; }
  if (json.resourceType && byType[json.resourceType]) work.push([json, byType[json.resourceType]]);
}
const evaluations = work.reduce((n, [, fns]) => n + fns.length, 0);
function pass() {
  let items = 0, errors = 0;
  for (const [input, fns] of work) {
    for (const fn of fns) {
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
console.log(`${work.length} resources, ${evaluations} evaluations per round, ${last[1]} errors`);
console.log(`${(evaluations * rounds / seconds).toFixed(0)} evaluations/s (${(seconds / rounds * 1000).toFixed(1)} ms per round)`);
