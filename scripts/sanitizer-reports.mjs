// Collects the sanitizer reports written during the functional run (ASAN_OPTIONS / UBSAN_OPTIONS log_path: one
// file per reporting process) into a JSON summary for scripts/summary.mjs, and prints the first ones in full
// (CI keeps only the tail of the output). Exits 1 when there is any report.
//   node scripts/sanitizer-reports.mjs DIR OUT.json
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: sanitizer-reports.mjs DIR OUT.json');
  process.exit(2);
}
const files = existsSync(dir) ? readdirSync(dir).sort() : [];
const reports = files.map((file) => {
  const text = readFileSync(join(dir, file), 'utf8');
  const first =
    text.split('\n').find((l) => /ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|SUMMARY:/.test(l)) ??
    text.split('\n')[0] ??
    '';
  return { file, first: first.trim().slice(0, 300), text };
});
writeFileSync(out, JSON.stringify({ reports: reports.map(({ file, first }) => ({ file, first })) }, null, 2));
if (reports.length === 0) {
  console.log('sanitizers: no reports');
  process.exit(0);
}
console.log(`sanitizers: ${reports.length} report(s)`);
for (const r of reports.slice(0, 3)) {
  console.log(`---- ${r.file}`);
  console.log(r.text.split('\n').slice(0, 80).join('\n'));
}
process.exit(1);
