// Shortens the names a wasm-bindgen module imports and exports (`__wbg_setAttribute_<hash>` →
// `q`) in the .wasm and in its JS glue together. The long names are pure overhead: each is
// stored twice (in the wasm and in the glue) and their hashes do not compress.
//
// usage: node tools/minify-wasm-names.mjs <module.wasm> <glue.js>
// Fails (exit 1) when the glue does not use a name as expected (each import key once, each
// export through `wasm.<name>`), so a wasm-bindgen upgrade that changes the glue's shape breaks
// the build instead of the page. It renames names only: no other text of the glue is edited
// (binaryen's --minify-imports-and-exports renames the wasm side alone and leaves the glue
// out of step, which is why this tool exists). Run without TypeScript output (the package ships
// its own generated types.d.ts), so there is no .d.ts to keep in step.
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, jsPath, extra] = process.argv.slice(2);
if (!wasmPath || !jsPath || extra) {
  console.error('usage: minify-wasm-names.mjs <module.wasm> <glue.js>');
  process.exit(2);
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fail = (msg) => {
  console.error(`minify-wasm-names: ${msg}`);
  process.exit(1);
};

const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, 'utf8');

// Short names: a..z, A..Z, then two letters. The `memory` export keeps its name (the glue's
// `InitOutput` type names it).
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const shortName = (i) =>
  i < LETTERS.length ? LETTERS[i] : shortName(Math.floor(i / LETTERS.length) - 1) + LETTERS[i % LETTERS.length];

// --- wasm reading/writing helpers ---------------------------------------------------------
function readU32(buf, pos) {
  let result = 0, shift = 0, byte;
  do {
    byte = buf[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [result, pos];
}
function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}
const encName = (s) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([u32(b.length), b]);
};
function readName(buf, pos) {
  const [len, p] = readU32(buf, pos);
  return [buf.subarray(p, p + len).toString('utf8'), p + len];
}
// Skips an import's description (after its kind byte), returning the end.
function skipImportDesc(buf, kind, p) {
  const limits = (q) => {
    const flags = buf[q++];
    [, q] = readU32(buf, q);
    if (flags & 1) [, q] = readU32(buf, q);
    return q;
  };
  switch (kind) {
    case 0: return readU32(buf, p)[1]; // func: type index
    case 1: return limits(p + 1); // table: reftype, limits
    case 2: return limits(p); // memory
    case 3: return p + 2; // global: valtype, mutability
    case 4: return readU32(buf, p + 1)[1]; // tag: attribute, type index
    default: return fail(`unknown import kind ${kind}`);
  }
}

if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);
const sections = [];
for (let p = 8; p < wasm.length;) {
  const id = wasm[p];
  const [len, start] = readU32(wasm, p + 1);
  sections.push({ id, start, end: start + len, head: p });
  p = start + len;
}

// A module the glue imports as a namespace (`import * as import1 from "./snippets/…"`) is
// looked up by its real export names: those keep them; only the glue's own object is renamed.
const glueSource = readFileSync(jsPath, 'utf8');
const isNamespace = (mod) => {
  const key = glueSource.match(new RegExp(`"${escape(mod)}": (import\\d+)`));
  if (!key) fail(`module ${mod} is not in the glue's import object`);
  return new RegExp(`import \\* as ${key[1]} from`).test(glueSource);
};
const moduleNames = new Map(); // old module → new
const importNames = new Map(); // old field → new (fields of the glue's own object only)
const exportNames = new Map(); // old export → new
let next = 0;
const rewritten = [];
for (const s of sections) {
  if (s.id !== 2 && s.id !== 7) {
    rewritten.push(wasm.subarray(s.head, s.end));
    continue;
  }
  let [count, p] = readU32(wasm, s.start);
  const parts = [u32(count)];
  for (let i = 0; i < count; i++) {
    if (s.id === 2) {
      let mod, field;
      [mod, p] = readName(wasm, p);
      [field, p] = readName(wasm, p);
      const kind = wasm[p];
      const end = skipImportDesc(wasm, kind, p + 1);
      if (!moduleNames.has(mod)) moduleNames.set(mod, shortName(moduleNames.size));
      let short = field;
      if (!isNamespace(mod)) {
        if (importNames.has(field)) fail(`import ${field} appears twice`);
        short = shortName(next++);
        importNames.set(field, short);
      }
      parts.push(encName(moduleNames.get(mod)), encName(short), wasm.subarray(p, end));
      p = end;
    } else {
      let name;
      [name, p] = readName(wasm, p);
      const kind = wasm[p];
      const end = readU32(wasm, p + 1)[1];
      const short = name === 'memory' ? name : shortName(next++);
      exportNames.set(name, short);
      parts.push(encName(short), wasm.subarray(p, end));
      p = end;
    }
  }
  if (p !== s.end) fail(`section ${s.id} did not parse to its end`);
  const payload = Buffer.concat(parts);
  rewritten.push(Buffer.from([s.id]), u32(payload.length), payload);
}
if (!importNames.size) fail('no imports found');

// --- the glue ------------------------------------------------------------------------------
const replaceExactlyOnce = (pattern, by, what) => {
  const re = new RegExp(pattern, 'g');
  const hits = js.match(re)?.length ?? 0;
  if (hits !== 1) fail(`expected one ${what} in ${jsPath}, found ${hits}`);
  js = js.replace(re, by);
};
for (const [old, short] of importNames) {
  // `__wbg_foo_<hash>: function(arg0) {` in the imports object.
  replaceExactlyOnce(`(?<=\\n\\s*)${escape(old)}(?=: function\\b)`, short, `import key ${old}`);
}
for (const [old, short] of moduleNames) {
  // Once per namespace import of a snippet (wasm-bindgen repeats the key, same module each time).
  const re = new RegExp(`"${escape(old)}"(?=: import\\d+)`, 'g');
  if (!re.test(js)) fail(`no module key ${old} in ${jsPath}`);
  js = js.replace(re, JSON.stringify(short));
}
for (const [old, short] of exportNames) {
  js = js.replace(new RegExp(`\\bwasm\\.${escape(old)}\\b`, 'g'), `wasm.${short}`);
}
const leftover = js.match(/\bwasm\.(?!memory\b)[A-Za-z_$][\w$]{2,}/g);
if (leftover) fail(`glue still uses long export names: ${[...new Set(leftover)].join(', ')}`);

writeFileSync(wasmPath, Buffer.concat([wasm.subarray(0, 8), ...rewritten]));
writeFileSync(jsPath, js);

console.log(
  `minify-wasm-names: ${importNames.size} imports, ${exportNames.size} exports, ${moduleNames.size} module(s) renamed`,
);
