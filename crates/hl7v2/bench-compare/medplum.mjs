// Parses every corpus message with @medplum/core's Hl7Message.parse and reads every
// subcomponent of every component of every repetition of every field through getComponent
// (Hl7Field parses fields lazily, so reading is what makes the work happen).
// Usage: node medplum.mjs corpus.json [seconds]
import { readFileSync } from 'node:fs';
import { Hl7Message } from '@medplum/core';

const messages = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const seconds = Number(process.argv[3] ?? 5);
const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m, 'utf8'), 0);

function walk(text) {
  const message = Hl7Message.parse(text);
  const sub = message.context.subcomponentSeparator;
  let total = 0;
  for (const segment of message.segments) {
    for (const field of segment.fields) {
      field.components.forEach((components, repetition) => {
        components.forEach((component, c) => {
          const count = component.split(sub).length;
          for (let s = 1; s <= count; s++) {
            total += field.getComponent(c + 1, s, repetition).length;
          }
        });
      });
    }
  }
  return total;
}

let failures = 0;
for (const m of messages) {
  try { walk(m); } catch { failures++; }
}
// Warm up, then time whole passes over the corpus.
for (let i = 0; i < 20; i++) for (const m of messages) { try { walk(m); } catch {} }
let passes = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < seconds) {
  for (const m of messages) { try { walk(m); } catch {} }
  passes++;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
}
const perPass = elapsed / passes;
console.log(JSON.stringify({
  parser: '@medplum/core Hl7Message.parse', messages: messages.length, failures,
  mb_per_s: bytes / perPass / 1e6, messages_per_s: messages.length / perPass,
}));
