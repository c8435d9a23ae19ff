// Benchmark 2's peer: json-schema-faker generating payloads from our
// exported JSON Schema. Prints one line: "<n> payloads in <s> s: <rate>/s".
// node tools/jsf/bench.mjs SCHEMA N
import { generateSync } from "json-schema-faker";
import fs from "node:fs";

const [schemaPath, countText] = process.argv.slice(2);
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
const n = Number(countText ?? "2000");
generateSync(schema); // warm-up
const t0 = performance.now();
let bytes = 0;
for (let i = 0; i < n; i++) bytes += JSON.stringify(generateSync(schema)).length;
const s = (performance.now() - t0) / 1000;
console.log(`${n} payloads in ${s.toFixed(3)} s: ${(n / s).toFixed(0)}/s (${(bytes / n).toFixed(0)} B/payload)`);
