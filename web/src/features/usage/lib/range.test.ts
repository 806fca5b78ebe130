import { describe, expect, it } from 'vitest';
import { resolveRange } from './range';

const NOW = new Date(2025, 5, 15, 12, 30);
const DAY = 86_400_000;

describe('resolveRange', () => {
  it('counts presets back from now, with a granularity that gives a useful chart', () => {
    const day = resolveRange({ preset: '24h' }, NOW);
    expect(day).toMatchObject({ granularity: 'hour', exportable: true });
    if ('error' in day) throw new Error('unexpected');
    expect(day.to.getTime() - day.from.getTime()).toBe(DAY);
    expect(resolveRange({ preset: '7d' }, NOW)).toMatchObject({ granularity: 'hour' });
    expect(resolveRange({ preset: '30d' }, NOW)).toMatchObject({ granularity: 'day', exportable: true });
  });

  it('makes custom dates inclusive local days, capped at now', () => {
    const r = resolveRange({ preset: 'custom', fromDate: '2025-06-01', toDate: '2025-06-02' }, NOW);
    if ('error' in r) throw new Error(r.error);
    expect(r.from).toEqual(new Date(2025, 5, 1));
    expect(r.to).toEqual(new Date(2025, 5, 3));
    expect(r.granularity).toBe('hour');
    const today = resolveRange({ preset: 'custom', fromDate: '2025-06-10', toDate: '2025-06-15' }, NOW);
    if ('error' in today) throw new Error(today.error);
    expect(today.to).toEqual(NOW);
    expect(today.granularity).toBe('day');
  });

  it('refuses reversed, future or too long ranges and flags what cannot be exported', () => {
    expect(resolveRange({ preset: 'custom', fromDate: '2025-06-10', toDate: '2025-06-01' }, NOW)).toHaveProperty('error');
    expect(resolveRange({ preset: 'custom', fromDate: '2025-07-01', toDate: '2025-07-02' }, NOW)).toHaveProperty('error');
    expect(resolveRange({ preset: 'custom', fromDate: '2024-01-01', toDate: '2025-06-01' }, NOW)).toHaveProperty('error');
    expect(resolveRange({ preset: 'custom' }, NOW)).toHaveProperty('error');
    expect(resolveRange({ preset: 'custom', fromDate: '2025-04-01', toDate: '2025-05-31' }, NOW)).toMatchObject({ exportable: false });
    expect(resolveRange({ preset: 'custom', fromDate: '2025-05-01', toDate: '2025-05-31' }, NOW)).toMatchObject({ exportable: true });
  });
});
