// Prints "<raw bytes> <gzip bytes>" for the given files, each compressed on its own with zlib at
// level 9: what a server sends for each file a page fetches (the same measure as bench/report.mjs).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

let raw = 0;
let gz = 0;
for (const f of process.argv.slice(2)) {
  const b = readFileSync(f);
  raw += b.length;
  gz += gzipSync(b, { level: 9 }).length;
}
console.log(`${raw} ${gz}`);
