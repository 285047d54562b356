// tsc over the installed (packed) pilot-connect-widget: its .d.ts files with skipLibCheck false,
// once per lib (ES2020 … ESNext, each + DOM). plain.ts never sees React's types (checked in the
// program's file list: index/element .d.ts must not pull them in); react.tsx uses
// pilot-connect-widget/react with @types/react 19, element-jsx.tsx the README's <pilot-connect> JSX
// example. One more run under NodeNext resolution.
// Run from anywhere: node tests/types-widget/check.mjs (after tools/types-widget-install.sh).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const dir = path.dirname(fileURLToPath(import.meta.url));
const tsc = path.join(dir, "node_modules/typescript/bin/tsc");
const LIBS = ["ES2020", "ES2021", "ES2022", "ES2023", "ESNext"];
let failed = 0, passed = 0;

function run(name, project, lib, check) {
  const args = [tsc, "-p", path.join(dir, project), "--listFiles", ...(lib ? ["--lib", `${lib},DOM`] : [])];
  try {
    const out = execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const files = out.split("\n").filter(Boolean);
    const problem = check?.(files);
    if (problem) throw new Error(problem);
    if (!files.some((f) => f.includes("node_modules/pilot-connect-widget/index.d.ts"))) {
      throw new Error("the program does not hold the installed package's index.d.ts");
    }
    console.log(`ok   ${name}${lib ? ` (lib ${lib} + DOM)` : ""}`);
    passed++;
  } catch (e) {
    // tsc's diagnostics, without the --listFiles paths around them.
    const said = `${e.stdout ?? ""}${e.stderr ?? ""}`.split("\n").filter((l) => l && !l.startsWith("/")).join("\n");
    console.log(`FAIL ${name}${lib ? ` (lib ${lib} + DOM)` : ""}\n${said || e.message}`);
    failed++;
  }
}

const noReact = (files) => {
  const react = files.filter((f) => /node_modules\/(@types\/react|react)\//.test(f) || f.endsWith("pilot-connect-widget/react.d.ts"));
  return react.length ? `plain.ts's program holds React types: ${react.join(", ")}` : null;
};
const withReact = (files) =>
  files.some((f) => f.endsWith("pilot-connect-widget/react.d.ts")) ? null : "react.tsx's program does not hold react.d.ts";

for (const lib of LIBS) {
  run("plain.ts without React", "tsconfig.plain.json", lib, noReact);
  run("react.tsx + element-jsx.tsx with @types/react 19", "tsconfig.react.json", lib, withReact);
}
run("all three under NodeNext resolution", "tsconfig.nodenext.json", null, withReact);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
