import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { SPEC_PATH } from './env.js';

// ajv-formats is CommonJS; under NodeNext its default export may be wrapped.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (a: Ajv2020) => Ajv2020;

const SPEC_ID = 'https://tollgate.test/openapi.json';

export type Spec = {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components?: Record<string, Record<string, any>>;
  [k: string]: unknown;
};

let specCache: Spec | undefined;

/** api/openapi.yaml, parsed. */
export function loadSpec(): Spec {
  if (!specCache) {
    try {
      specCache = parseYaml(fs.readFileSync(SPEC_PATH, 'utf8')) as Spec;
    } catch (e) {
      throw new Error(`${SPEC_PATH} is not valid YAML: ${(e as Error).message}`);
    }
  }
  return specCache;
}

let ajvCache: Ajv2020 | undefined;
function ajv(): Ajv2020 {
  if (!ajvCache) {
    const a = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, validateFormats: true });
    addFormats(a);
    // The whole document is registered so `#/components/schemas/...` refs resolve inside it.
    a.addSchema(loadSpec() as object, SPEC_ID);
    ajvCache = a;
  }
  return ajvCache;
}

const compiled = new Map<string, ValidateFunction>();
function validatorFor(pointer: string): ValidateFunction {
  let v = compiled.get(pointer);
  if (!v) {
    v = ajv().compile({ $ref: `${SPEC_ID}#${pointer}` });
    compiled.set(pointer, v);
  }
  return v;
}

function esc(seg: string): string {
  return seg.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolvePointer(pointer: string): any {
  let node: any = loadSpec();
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node?.[seg];
  }
  return node;
}

/** Follows OpenAPI `$ref`s (local only) of non-schema objects; returns the object and its pointer. */
function deref(obj: any, pointer: string): { obj: any; pointer: string } {
  let guard = 0;
  while (obj && typeof obj === 'object' && typeof obj.$ref === 'string' && guard++ < 20) {
    const ref: string = obj.$ref;
    if (!ref.startsWith('#')) throw new Error(`non-local $ref not supported: ${ref}`);
    pointer = ref.slice(1);
    obj = resolvePointer(pointer);
  }
  return { obj, pointer };
}

function mediaMatches(pattern: string, actual: string): boolean {
  if (pattern === actual || pattern === '*/*') return true;
  const [pt, ps] = pattern.split('/');
  const [at] = actual.split('/');
  return ps === '*' && pt === at;
}

/** The spec's response object for (method, path, status) — exact code, then 2XX-style, then default. */
export function responseSpec(method: string, pathTemplate: string, status: number): { obj: any; pointer: string } {
  const spec = loadSpec();
  const pathItem = spec.paths[pathTemplate];
  if (!pathItem) throw new Error(`path not in spec: ${pathTemplate}`);
  const m = method.toLowerCase();
  const op = pathItem[m];
  if (!op) throw new Error(`${method.toUpperCase()} ${pathTemplate} not in spec`);
  const base = `/paths/${esc(pathTemplate)}/${m}/responses`;
  const responses = op.responses ?? {};
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
  if (!key) throw new Error(`${method.toUpperCase()} ${pathTemplate}: status ${status} is not documented (and no default)`);
  return deref(responses[key], `${base}/${esc(key)}`);
}

function check(pointer: string, body: unknown, what: string): void {
  const v = validatorFor(pointer);
  if (!v(body)) {
    const errs = (v.errors ?? []).map((e) => `  ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
    throw new Error(`${what}: body does not match the schema at ${pointer}:\n${errs}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
  }
}

/**
 * Throws (with a readable message) unless `body` matches the spec's response schema for
 * (method, pathTemplate, status) and the content type is one the spec documents.
 * `body` may be the raw text (parsed as JSON for JSON media types) or an already-parsed value.
 */
export function validateResponse(method: string, pathTemplate: string, status: number, contentType: string | null, body: unknown): void {
  const what = `${method.toUpperCase()} ${pathTemplate} → ${status}`;
  const { obj: resp, pointer } = responseSpec(method, pathTemplate, status);
  const content = resp?.content as Record<string, any> | undefined;
  if (!content || Object.keys(content).length === 0) {
    if (body !== undefined && body !== '' && body !== null) throw new Error(`${what}: spec documents no body but one was sent`);
    return;
  }
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const key = Object.keys(content).find((k) => mediaMatches(k.toLowerCase(), mediaType));
  if (!key) throw new Error(`${what}: Content-Type "${contentType}" not documented (expected one of ${Object.keys(content).join(', ')})`);
  const media = content[key];
  if (!media?.schema) return;
  let value = body;
  const isJson = mediaType === 'application/json' || mediaType.endsWith('+json');
  if (isJson && typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch (e) {
      throw new Error(`${what}: body is not valid JSON (${(e as Error).message}): ${body.slice(0, 500)}`);
    }
  }
  check(`${pointer}/content/${esc(key)}/schema`, value, what);
}

/** Validates against `#/components/schemas/<name>` (for responses of paths the spec does not list, e.g. a 404). */
export function validateSchema(name: string, body: unknown): void {
  if (!loadSpec().components?.schemas?.[name]) throw new Error(`schema ${name} not in spec`);
  check(`/components/schemas/${esc(name)}`, body, `schema ${name}`);
}

/** Checks an error response: problem+json content type and the Problem schema; returns the parsed body. */
export function expectProblemShape(status: number, contentType: string, text: string): any {
  if (!/^application\/problem\+json\b/i.test(contentType)) {
    throw new Error(`expected application/problem+json, got "${contentType}" (body: ${text.slice(0, 500)})`);
  }
  const body = JSON.parse(text);
  validateSchema('Problem', body);
  if (body.status !== status) throw new Error(`problem.status ${body.status} != HTTP status ${status}`);
  return body;
}
