/**
 * Helpers of authorization-matrix.test.ts: the table (tests/functional/authz-matrix.yaml), the operations of
 * api/openapi.yaml, and the readable diff. Not a test file itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadSpec } from '../harness/openapi.js';

export const MATRIX_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'authz-matrix.yaml');

/**
 * The six principals of the issue, then the second pass of member B (its own org B header, org A ids in paths) and
 * the same pass as an ADMIN of org B (who gets past the role checks that refuse a MEMBER before any ownership check).
 */
export const COLUMNS = [
  'anonymous',
  'memberA',
  'adminA',
  'memberB',
  'platformAdmin',
  'platformAdmin2fa',
  'memberB_headerB',
  'adminB_headerB',
] as const;

/** The columns whose callers belong to org B (every answer to them is searched for org A data). */
export const ORG_B_COLUMNS: readonly Column[] = ['memberB', 'memberB_headerB', 'adminB_headerB'];
export type Column = (typeof COLUMNS)[number];

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One expected cell: the status, and the problem `code` when the table names one. */
export interface Expected {
  status: number;
  code?: string;
}

export interface MatrixRow {
  op: string;
  cells: Record<Column, Expected>;
  why?: string;
}

/** `200`, `"404"` or `"404 ORGANIZATION_NOT_FOUND"`. */
export function parseCell(v: unknown, where: string): Expected {
  if (typeof v === 'number' && Number.isInteger(v)) return { status: v };
  if (typeof v === 'string') {
    const m = /^\s*(\d{3})(?:\s+([A-Z][A-Z0-9_]*))?\s*$/.exec(v);
    if (m) return m[2] ? { status: Number(m[1]), code: m[2] } : { status: Number(m[1]) };
  }
  throw new Error(`${where}: a cell must be a status (200) or "status CODE" ("403 FORBIDDEN"), got ${JSON.stringify(v)}`);
}

export function formatExpected(e: Expected): string {
  return e.code ? `${e.status} ${e.code}` : String(e.status);
}

/** The table, keyed by "METHOD /path/template"; throws with every malformed row named. */
export function loadMatrix(file = MATRIX_PATH): Map<string, MatrixRow> {
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { operations?: Record<string, Record<string, unknown>> };
  if (!doc || typeof doc.operations !== 'object') throw new Error(`${file}: expected a top-level "operations:" mapping`);
  const out = new Map<string, MatrixRow>();
  const problems: string[] = [];
  for (const [op, row] of Object.entries(doc.operations)) {
    try {
      if (!/^(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) \/\S*$/.test(op)) throw new Error(`"${op}" is not "METHOD /path"`);
      if (!row || typeof row !== 'object') throw new Error(`${op}: the row must be a mapping`);
      const unknown = Object.keys(row).filter((k) => k !== 'why' && !(COLUMNS as readonly string[]).includes(k));
      if (unknown.length) throw new Error(`${op}: unknown column(s) ${unknown.join(', ')}`);
      const cells = {} as Record<Column, Expected>;
      for (const c of COLUMNS) {
        if (!(c in row)) throw new Error(`${op}: column ${c} missing`);
        cells[c] = parseCell(row[c], `${op} × ${c}`);
      }
      out.set(op, { op, cells, why: typeof row.why === 'string' ? row.why : undefined });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  return out;
}

export interface SpecOperation {
  key: string;
  method: string;
  path: string;
  op: any;
  requiredBody: boolean;
}

/** Every operation of api/openapi.yaml (the router table), as "METHOD /path/template". */
export function specOperations(): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const [p, item] of Object.entries(loadSpec().paths)) {
    for (const m of HTTP_METHODS) {
      const op = (item as any)[m];
      if (!op) continue;
      out.push({ key: `${m.toUpperCase()} ${p}`, method: m.toUpperCase(), path: p, op, requiredBody: op.requestBody?.required === true });
    }
  }
  return out;
}

export interface CellResult {
  op: string;
  column: Column;
  url: string;
  status: number;
  code?: string;
  text: string;
  expected?: Expected;
  /** Set when the cell could not be run (fixture failure, network error). */
  error?: string;
}

export function cellMatches(r: CellResult): boolean {
  if (!r.expected || r.error) return false;
  if (r.status !== r.expected.status) return false;
  return r.expected.code === undefined || r.expected.code === r.code;
}

/** "operation × principal: expected … got …" lines, grouped by operation, for a failure message. */
export function formatDiff(results: CellResult[], why: (op: string) => string | undefined = () => undefined): string {
  const bad = results.filter((r) => !cellMatches(r));
  if (bad.length === 0) return '';
  const byOp = new Map<string, CellResult[]>();
  for (const r of bad) byOp.set(r.op, [...(byOp.get(r.op) ?? []), r]);
  const lines: string[] = [`${bad.length} cell(s) of ${results.length} disagree with ${path.basename(MATRIX_PATH)}:`];
  for (const [op, rows] of byOp) {
    const w = why(op);
    lines.push(`\n  ${op}${w ? `   (${w})` : ''}`);
    for (const r of rows) {
      const got = r.error ? `ERROR ${r.error}` : `${r.status}${r.code ? ' ' + r.code : ''}`;
      const exp = r.expected ? formatExpected(r.expected) : '(no row in the table)';
      const detail = r.error ? '' : `  — ${r.text.replace(/\s+/g, ' ').slice(0, 160)}`;
      lines.push(`    ${r.column.padEnd(18)} expected ${exp.padEnd(34)} got ${got}${detail}`);
    }
  }
  return lines.join('\n');
}
