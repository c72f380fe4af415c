#!/usr/bin/env node
// `npm test`: installs what is missing (node_modules), then runs every test project (pure, gpu,
// browser) with Vitest, then the Python package's pytest suite (integrations/python/tests) with
// Debian's /usr/bin/python3, and ends with one plain summary line counting both: "N passed, N failed".
// With arguments (`npm test -- tests/pure/x.test.ts`) only Vitest runs, with those arguments.
// A Python test that is skipped counts as failed, and so does a missing interpreter, pytest or torch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

if (!existsSync('node_modules/.package-lock.json')) {
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
rmSync(report, { force: true });
const targeted = process.argv.length > 2;
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const result = spawnSync('npx', args, { stdio: 'inherit' });
let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numFailedTestSuites ?? 0);
}
let ok = result.status === 0;

if (!targeted) {
  const python = pytest();
  passed += python.passed;
  failed += python.failed;
  ok &&= python.ok;
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 ? 0 : 1);

/** Runs the pytest suite; counts from its JUnit XML (tests − failures − errors − skipped pass). */
function pytest() {
  const junit = 'test-results/pytest.xml';
  rmSync(junit, { force: true });
  const python = '/usr/bin/python3';
  console.log(`\nPython: ${python} -m pytest integrations/python/tests`);
  const run = spawnSync(python, ['-m', 'pytest', 'integrations/python/tests', '-q', `--junitxml=${junit}`], { stdio: 'inherit' });
  if (run.error || !existsSync(junit)) {
    console.log(`pytest did not run (${run.error?.message ?? `exit ${run.status}`}): install Debian's python3-torch and python3-pytest (bash .ci/run does)`);
    return { passed: 0, failed: 1, ok: false };
  }
  const suite = /<testsuite\b[^>]*>/.exec(readFileSync(junit, 'utf8'))?.[0] ?? '';
  const count = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const [tests, failures, errors, skipped] = ['tests', 'failures', 'errors', 'skipped'].map(count);
  if (skipped > 0) console.log(`pytest: ${skipped} skipped, counted as failed (nothing may skip)`);
  const failedPy = failures + errors + skipped;
  return { passed: tests - failedPy, failed: failedPy || (run.status === 0 ? 0 : 1), ok: run.status === 0 && failedPy === 0 };
}
