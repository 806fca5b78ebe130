import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { loadSpec, validateResponse, type Spec } from '../harness/openapi.js';

let spec: Spec | undefined;
let specError: Error | undefined;
try {
  spec = loadSpec();
} catch (e) {
  specError = e as Error;
}

const getPaths = spec
  ? Object.entries(spec.paths)
      .filter(([p, item]) => item.get && !item.get.security && !p.includes('{') && p !== '/metrics') // secured GETs need a token: covered per endpoint
      .map(([p]) => p)
  : [];

describe('contract: live responses match api/openapi.yaml', () => {
  it('api/openapi.yaml parses', () => {
    expect(specError?.message).toBeUndefined();
    expect(spec?.openapi).toMatch(/^3\.1\./);
    expect(getPaths.length).toBeGreaterThan(0);
  });

  if (!spec) return;
  const server = useServer();
  printLogsOnFailure();

  it.each(getPaths)('GET %s → 200 and the body matches the spec', async (path) => {
    const r = await request(server().baseUrl + path);
    expect(r.status, r.text.slice(0, 500)).toBe(200);
    validateResponse('get', path, r.status, r.contentType, r.text);
  });

  it('GET /api/openapi.json is the YAML spec, as JSON', async () => {
    const r = await request(server().baseUrl + '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json).toEqual(spec);
  });

  it('GET /api/version reports environment=test', async () => {
    const r = await request(server().baseUrl + '/api/version');
    expect(r.json.environment).toBe('test');
    expect(r.json.name).toBeTruthy();
    expect(r.json.version).toBeTruthy();
  });
});
