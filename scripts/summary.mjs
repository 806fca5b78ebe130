// Adds up the reports of every runner into the one closing line `N passed, N failed`.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
const failures = [];

// `make test-faults` reports only the fault suite; `make test` includes it when it ran.
const faultsOnly = process.env.FAULTS_ONLY === '1';
const junit = join(dir, 'ctest.xml');
if (faultsOnly) {
  // no unit report expected
} else if (existsSync(junit)) {
  const xml = readFileSync(junit, 'utf8');
  const cases = [...xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)];
  let p = 0, f = 0, s = 0;
  for (const c of cases) {
    const body = c[2] ?? '';
    const tag = c[0];
    if (/<failure|<error/.test(body)) {
      f++;
      failures.push(`unit: ${(tag.match(/name="([^"]*)"/) ?? [])[1] ?? '?'}`);
    }
    else if (/<skipped/.test(body) || /status="(notrun|disabled)"/.test(tag)) s++;
    else p++;
  }
  rows.push(['unit (ctest)', p, f, s]);
} else {
  rows.push(['unit (ctest)', 0, 1, 0]);
}

const runners = faultsOnly
  ? [['faults', 'faults.json']]
  : [['functional', 'functional.json'], ['web unit', 'web.json'], ['e2e', 'e2e.json'], ['faults', 'faults.json', 'optional']];
for (const [name, file, optional] of runners) {
  const path = join(dir, file);
  if (!existsSync(path) && optional) continue;
  if (!existsSync(path)) {
    rows.push([name + ' (no report)', 0, 1, 0]);
    continue;
  }
  const r = JSON.parse(readFileSync(path, 'utf8'));
  const suiteFailures = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  for (const t of r.testResults ?? []) {
    const file = String(t.name ?? '').replace(/^.*\/(tests|web)\//, '');
    if (t.status === 'failed' && (t.assertionResults ?? []).length === 0) {
      failures.push(`${name}: ${file}: ${String(t.message ?? '').split('\n')[0].slice(0, 300)}`);
    }
    for (const a of t.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      const why = String((a.failureMessages ?? [])[0] ?? '').split('\n')[0].slice(0, 300);
      failures.push(`${name}: ${file} > ${a.fullName ?? a.title}: ${why}`);
    }
  }
  rows.push([name, r.numPassedTests ?? 0, (r.numFailedTests ?? 0) + suiteFailures, (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)]);
}

// Sanitizer reports of the functional run (the server built with the asan preset writes one file per report,
// scripts/test.sh collects them) and the fuzz smoke (scripts/fuzz.sh --runs): written by make test only.
const sanitizers = join(dir, 'sanitizers.json');
if (!faultsOnly && existsSync(sanitizers)) {
  const r = JSON.parse(readFileSync(sanitizers, 'utf8'));
  const reports = r.reports ?? [];
  for (const x of reports) failures.push(`sanitizers: ${x.file}: ${x.first}`);
  rows.push(['asan/ubsan (functional)', reports.length === 0 && !r.error ? 1 : 0, reports.length + (r.error ? 1 : 0), 0]);
  if (r.error) failures.push(`sanitizers: ${r.error}`);
}
const fuzz = join(dir, 'fuzz.json');
if (!faultsOnly && existsSync(fuzz)) {
  const r = JSON.parse(readFileSync(fuzz, 'utf8'));
  const targets = r.targets ?? [];
  let p = 0, f = 0;
  for (const t of targets) {
    if (t.result === 'OK') p++;
    else {
      f++;
      failures.push(`fuzz: ${t.target}: ${t.result} after ${t.executions} executions (build/fuzz/logs/${t.target}.log)`);
    }
  }
  if (r.error) {
    f++;
    failures.push(`fuzz: ${r.error}`);
  }
  rows.push(['fuzz smoke', p, f, 0]);
}

// The failing tests are repeated here because CI keeps only the tail of the output.
if (failures.length > 0) {
  console.log('\n== failed');
  for (const f of failures.slice(0, 40)) console.log(f);
}
console.log('\n== summary');
for (const [name, p, f, s] of rows) {
  console.log(`${name.padEnd(28)} ${String(p).padStart(4)} passed ${String(f).padStart(4)} failed ${String(s).padStart(4)} skipped`);
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
