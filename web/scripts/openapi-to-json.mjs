#!/usr/bin/env node
// Converts the OpenAPI YAML contract to JSON so the C++ build can embed it.
// Usage: node web/scripts/openapi-to-json.mjs IN.yaml OUT.json   (paths relative to the cwd)
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { parse } from 'yaml';

async function main() {
  const [inArg, outArg] = process.argv.slice(2);
  if (!inArg || !outArg) {
    console.error('usage: node openapi-to-json.mjs IN.yaml OUT.json');
    process.exit(2);
  }
  const inPath = path.resolve(process.cwd(), inArg);
  const outPath = path.resolve(process.cwd(), outArg);

  const source = await readFile(inPath, 'utf8');
  // uniqueKeys: a duplicated key in the contract is a mistake, not something to silently merge.
  const doc = parse(source, { uniqueKeys: true, prettyErrors: true });
  if (!doc || typeof doc !== 'object' || typeof doc.openapi !== 'string' || typeof doc.paths !== 'object') {
    throw new Error(`${inPath}: not an OpenAPI document (missing "openapi" or "paths")`);
  }

  await mkdir(path.dirname(outPath), { recursive: true });
  // Write then rename so a parallel build never embeds a half-written file.
  const tmpPath = `${outPath}.${process.pid}.tmp`;
  await writeFile(tmpPath, `${JSON.stringify(doc)}\n`, 'utf8');
  await rename(tmpPath, outPath);
}

main().catch((err) => {
  console.error(`openapi-to-json: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
