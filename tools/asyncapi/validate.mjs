// Validates the AsyncAPI document with the AsyncAPI project's own parser
// (@asyncapi/parser: the AsyncAPI 3.0 JSON Schema, its Spectral ruleset and
// the schema parsers for every message payload), then checks the document
// says what chup-harness means: one send operation, one message per event,
// each message's payload the body of that event.
//
// usage: node tools/asyncapi/validate.mjs contracts/schema/asyncapi.yaml
// Exits 0 when the document is valid with no error and no warning, 1 when
// it is not, 2 on bad usage.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');
const parserVersion = require('@asyncapi/parser/package.json').version;

const EVENTS = [
  'appointment_created', 'appointment_updated', 'appointment_deleted',
  'live_queue_created', 'live_queue_updated', 'live_queue_deleted',
  'client_created', 'client_updated', 'client_deleted',
  'service_created', 'service_updated', 'service_staffs_updated', 'service_deleted',
  'staff_created', 'staff_updated', 'staff_services_updated', 'staff_deleted',
];
const DOCUMENTED = new Set([
  'appointment_created', 'appointment_updated', 'live_queue_created', 'live_queue_updated',
]);

const path = process.argv[2];
if (!path) {
  console.error('usage: node validate.mjs ASYNCAPI.yaml');
  process.exit(2);
}

const failures = [];
const fail = (what) => failures.push(what);

const text = await readFile(path, 'utf8');
const parser = new Parser();
const { document, diagnostics } = await parser.parse(text, { source: path });

const names = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'hint',
};
const counts = { error: 0, warning: 0, info: 0, hint: 0 };
for (const d of diagnostics) {
  const severity = names[d.severity] ?? String(d.severity);
  counts[severity] = (counts[severity] ?? 0) + 1;
  const at = d.path && d.path.length ? d.path.join('.') : '(document)';
  console.log(`${path}: ${severity}: ${d.code}: ${d.message} at ${at}`);
  if (d.severity <= DiagnosticSeverity.Warning) fail(`${severity} ${d.code} at ${at}`);
}

if (!document) {
  fail('the parser returned no document');
} else {
  if (document.version() !== '3.0.0') fail(`asyncapi version ${document.version()}, expected 3.0.0`);
  const operations = document.operations().all();
  if (operations.length !== 1 || operations[0].action() !== 'send') {
    fail(`expected one send operation, found ${operations.map((o) => o.action()).join(', ')}`);
  }
  const channels = document.channels().all();
  if (channels.length !== 1) fail(`expected one channel, found ${channels.length}`);
  const messages = new Map(document.allMessages().all().map((m) => [m.id(), m]));
  for (const event of EVENTS) {
    const m = messages.get(event);
    if (!m) {
      fail(`no message ${event}`);
      continue;
    }
    const body = m.payload();
    const payload = body?.properties()?.payload;
    const constant = payload?.properties()?.event?.const();
    if (constant !== event) fail(`message ${event}: payload.event is ${JSON.stringify(constant)}`);
    const signature = body?.properties()?.signature;
    if (signature?.pattern() !== '^[0-9a-f]{64}$') fail(`message ${event}: signature pattern`);
    const assumed = m.extensions().get('x-chup-assumed')?.value();
    if (assumed !== !DOCUMENTED.has(event)) fail(`message ${event}: x-chup-assumed is ${assumed}`);
  }
  if (messages.size !== EVENTS.length) fail(`expected ${EVENTS.length} messages, found ${messages.size}`);
  console.log(
    `${path}: @asyncapi/parser ${parserVersion}: AsyncAPI ${document.version()}, ` +
      `${channels.length} channel, ${operations.length} operation, ${messages.size} messages, ` +
      `${document.components().schemas().all().length} component schemas`,
  );
}

console.log(
  `${path}: diagnostics: ${counts.error} errors, ${counts.warning} warnings, ` +
    `${counts.info} info, ${counts.hint} hints`,
);
if (failures.length) {
  console.error(`${path}: INVALID (${failures.length} problems):`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`${path}: valid`);
