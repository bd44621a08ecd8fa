// Sums jest JSON reports and pytest junit XML reports into one line: "N passed, N failed".
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
let passed = 0;
let failed = 0;
for (const file of fs.readdirSync(dir).filter((f) => f !== 'summary.txt')) {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  if (file.endsWith('.json')) {
    const r = JSON.parse(text);
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  } else if (file.endsWith('.xml')) {
    for (const m of text.matchAll(/<testsuite\b[^>]*>/g)) {
      const attr = (name) => Number((new RegExp(`\\b${name}="(\\d+)"`).exec(m[0]) ?? [0, 0])[1]);
      const total = attr('tests');
      const bad = attr('failures') + attr('errors');
      failed += bad;
      passed += total - bad - attr('skipped');
    }
  }
}
const line = `${passed} passed, ${failed} failed`;
fs.writeFileSync(path.join(dir, 'summary.txt'), `${line}\n`);
console.log(line);
process.exit(failed > 0 ? 1 : 0);
