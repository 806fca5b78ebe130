import { describe, expect, it } from 'vitest';
import { loginPathFor, safeNext } from './next-path';

describe('safeNext', () => {
  it('keeps same-site paths with their query and fragment', () => {
    expect(safeNext('/account?tab=1#sessions')).toBe('/account?tab=1#sessions');
  });

  it.each([null, '', 'https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '/login?next=/x', '/a\nb'])(
    'refuses %j',
    (value) => {
      expect(safeNext(value)).toBe('/dashboard');
    },
  );

  it('builds the login path that remembers the page', () => {
    expect(loginPathFor({ pathname: '/account', search: '?a=1', hash: '#two-factor' })).toBe(
      '/login?next=%2Faccount%3Fa%3D1%23two-factor',
    );
  });
});
