import { describe, expect, it } from 'vitest';
import { filterFromParams, isFiltered, NO_FILTER, userQuery } from './user-filter';

describe('user filter', () => {
  it('reads known values from the query string and ignores the rest', () => {
    const f = filterFromParams(new URLSearchParams('q=ada&status=suspended&role=boss&verified=false&plan=pro&page=3'));
    expect(f).toEqual({ q: 'ada', status: 'suspended', role: '', plan: 'pro', verified: 'false', page: 3 });
    expect(filterFromParams(new URLSearchParams('page=-2')).page).toBe(1);
    expect(filterFromParams(new URLSearchParams('page=1.5')).page).toBe(1);
  });

  it('sends only what is set', () => {
    expect(userQuery(NO_FILTER)).toEqual({});
    expect(userQuery({ ...NO_FILTER, q: '  ada ', role: 'ADMIN', page: 2 })).toEqual({ q: 'ada', role: 'ADMIN', page: 2 });
    expect(isFiltered(NO_FILTER)).toBe(false);
    expect(isFiltered({ ...NO_FILTER, page: 4 })).toBe(false);
    expect(isFiltered({ ...NO_FILTER, verified: 'true' })).toBe(true);
  });
});
