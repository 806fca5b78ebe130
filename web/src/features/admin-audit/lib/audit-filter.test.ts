import { describe, expect, it } from 'vitest';
import { auditQuery, dayStart, filterErrors, filterFromParams, NO_FILTER } from './audit-filter';

const ID = '00000000-0000-4000-8000-0000000000AD';

describe('audit filter', () => {
  it('reads the query string, dropping malformed dates', () => {
    expect(filterFromParams(new URLSearchParams(`actorId=${ID}&action=admin.&from=2025-03-01&to=yesterday`))).toEqual({
      ...NO_FILTER,
      actorId: ID,
      action: 'admin.',
      from: '2025-03-01',
    });
  });

  it('checks ids, actions and the date order', () => {
    expect(filterErrors({ ...NO_FILTER, actorId: ID, action: 'admin.user.' })).toEqual({});
    expect(Object.keys(filterErrors({ ...NO_FILTER, actorId: 'ada', organizationId: '1', action: 'a b', from: '2025-03-02', to: '2025-03-01' })).sort()).toEqual([
      'action',
      'actorId',
      'organizationId',
      'to',
    ]);
  });

  it('sends local day boundaries, the end day included, and ids in lower case', () => {
    const q = auditQuery({ ...NO_FILTER, actorId: ID, from: '2025-03-01', to: '2025-03-01' });
    expect(q.actorId).toBe(ID.toLowerCase());
    expect(q.from).toBe(new Date(2025, 2, 1).toISOString());
    expect(q.to).toBe(new Date(2025, 2, 2).toISOString());
    expect(dayStart('2025-12-31', true)).toBe(new Date(2026, 0, 1).toISOString());
    expect(auditQuery(NO_FILTER)).toEqual({});
  });
});
