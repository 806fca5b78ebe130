import { describe, expect, it } from 'vitest';
import { filenameFromDisposition } from './download';

describe('filenameFromDisposition', () => {
  it('reads plain and RFC 5987 filenames and strips paths', () => {
    expect(filenameFromDisposition('attachment; filename="usage-2025-06.csv"')).toBe('usage-2025-06.csv');
    expect(filenameFromDisposition('attachment; filename=usage.csv')).toBe('usage.csv');
    expect(filenameFromDisposition("attachment; filename=\"a.csv\"; filename*=UTF-8''us%C3%A9.csv")).toBe('usé.csv');
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('.._.._etc_passwd');
    expect(filenameFromDisposition(undefined)).toBeUndefined();
    expect(filenameFromDisposition('attachment')).toBeUndefined();
  });
});
