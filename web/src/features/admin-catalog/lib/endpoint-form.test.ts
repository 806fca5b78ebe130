import { describe, expect, it } from 'vitest';
import type { ApiEndpoint } from '@/types';
import { endpointChanges, NEW_ENDPOINT, parseEndpointForm, pathPatternError, upstreamError, valuesFromEndpoint } from './endpoint-form';

const STORED: ApiEndpoint = {
  id: '22222222-2222-4222-8222-222222222222',
  method: 'GET',
  pathPattern: '/weather/{city}',
  upstreamUrl: 'https://api.weather.test/v2',
  description: 'Current weather',
  cost: 1,
  rateLimitPerMinute: null,
  timeoutMs: 30000,
  isPublic: false,
  enabled: true,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
};

describe('endpoint form', () => {
  it('checks path patterns like the server', () => {
    expect(pathPatternError('/')).toBeUndefined();
    expect(pathPatternError('/weather/{city}/*')).toBeUndefined();
    expect(pathPatternError('/files/')).toBeUndefined();
    expect(pathPatternError('weather')).toMatch(/Start the path/);
    expect(pathPatternError('/a//b')).toMatch(/empty segment/);
    expect(pathPatternError('/*/b')).toMatch(/only as the last/);
    expect(pathPatternError('/{city-name}')).toMatch(/parameters/);
    expect(pathPatternError('/a/../b')).toMatch(/\.\./);
    expect(pathPatternError('/a b')).toMatch(/letters, digits/);
  });

  it('checks upstream URLs', () => {
    expect(upstreamError('internal://echo')).toBeUndefined();
    expect(upstreamError('https://api.example.com:8443/v2')).toBeUndefined();
    expect(upstreamError('https://api.example.com/?a=1')).toMatch(/query/);
    expect(upstreamError('ftp://x.test')).toMatch(/http/);
    expect(upstreamError('https://u:p@x.test')).toMatch(/credentials/);
    expect(upstreamError('nope')).toMatch(/http/);
  });

  it('parses numbers, an empty rate limit as none, and reports every bad field', () => {
    const bad = parseEndpointForm({ ...NEW_ENDPOINT, cost: '-1', rateLimitPerMinute: '0', timeoutMs: '600001' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['cost', 'pathPattern', 'rateLimitPerMinute', 'timeoutMs', 'upstreamUrl']);
    const good = parseEndpointForm({ ...NEW_ENDPOINT, pathPattern: ' /echo ', upstreamUrl: 'internal://echo', rateLimitPerMinute: '' });
    expect(good).toEqual({
      ok: true,
      endpoint: expect.objectContaining({ pathPattern: '/echo', rateLimitPerMinute: null, cost: 1, timeoutMs: 30000, method: '*' }),
    });
  });

  it('sends only what changed, null to clear the rate limit', () => {
    const same = parseEndpointForm(valuesFromEndpoint(STORED));
    expect(same.ok && endpointChanges(STORED, same.endpoint)).toEqual({});
    const edited = parseEndpointForm({ ...valuesFromEndpoint({ ...STORED, rateLimitPerMinute: 10 }), rateLimitPerMinute: '', enabled: false });
    expect(edited.ok && endpointChanges({ ...STORED, rateLimitPerMinute: 10 }, edited.endpoint)).toEqual({ rateLimitPerMinute: null, enabled: false });
  });
});
