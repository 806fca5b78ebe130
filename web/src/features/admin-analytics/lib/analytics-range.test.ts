import { describe, expect, it } from 'vitest';
import { addDays, customRange, dayMs, formatMonth, presetRange, rangeDays, resolveSelection, utcDay } from './analytics-range';

// Late evening in America, already the next day in UTC: the analytics count UTC days.
const NOW = new Date('2026-03-15T23:30:00-05:00');

describe('analytics ranges (UTC days, both included)', () => {
  it('counts presets back from today (UTC)', () => {
    expect(utcDay(NOW)).toBe('2026-03-16');
    expect(presetRange('7d', NOW)).toEqual({ from: '2026-03-10', to: '2026-03-16' });
    expect(presetRange('30d', NOW)).toEqual({ from: '2026-02-15', to: '2026-03-16' });
    expect(presetRange('90d', NOW)).toEqual({ from: '2025-12-17', to: '2026-03-16' });
    expect(rangeDays(presetRange('90d', NOW))).toBe(90);
  });

  it('accepts real dates only, in order, at most 366 days', () => {
    expect(dayMs('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(dayMs('2025-02-29')).toBeNull();
    expect(dayMs('2025-13-01')).toBeNull();
    expect(dayMs('15/03/2026')).toBeNull();
    expect(customRange('2026-03-01', '2026-03-01')).toEqual({ from: '2026-03-01', to: '2026-03-01' });
    expect(customRange('2026-03-02', '2026-03-01')).toHaveProperty('error');
    expect(customRange('', '2026-03-01')).toHaveProperty('error');
    expect(customRange('2024-01-02', '2025-01-01')).toEqual({ from: '2024-01-02', to: '2025-01-01' });
    expect(customRange('2024-01-01', '2025-01-01')).toHaveProperty('error');
  });

  it('falls back to the last 30 days for an unusable custom selection', () => {
    expect(resolveSelection({ preset: 'custom', fromDate: 'x', toDate: '2026-01-01' }, NOW)).toEqual(presetRange('30d', NOW));
    expect(resolveSelection({ preset: 'custom', fromDate: '2026-01-01', toDate: '2026-01-31' }, NOW)).toEqual({ from: '2026-01-01', to: '2026-01-31' });
  });

  it('adds days across months and years; labels months', () => {
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(formatMonth('2026-03')).toMatch(/2026/);
  });
});
