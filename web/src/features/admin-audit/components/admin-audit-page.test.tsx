import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as DownloadLib from '@/lib/download';
import { downloadFile } from '@/lib/download';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { AuditEntry } from '@/types';
import { exportAuditCsv, listAuditLog } from '../api/admin-audit';
import { NO_FILTER } from '../lib/audit-filter';
import { AdminAuditPage } from './admin-audit-page';

vi.mock('../api/admin-audit', () => ({ listAuditLog: vi.fn(), exportAuditCsv: vi.fn() }));
vi.mock('@/lib/download', async (importOriginal) => {
  const original = await importOriginal<typeof DownloadLib>();
  return { ...original, downloadFile: vi.fn() };
});

const ADMIN_ID = '00000000-0000-4000-8000-0000000000ad';
const USER_ID = '00000000-0000-4000-8000-000000000003';

function entry(id: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: String(id),
    createdAt: '2025-03-01T09:00:00Z',
    actorType: 'admin',
    actorUserId: ADMIN_ID,
    actorEmail: 'root@tollgate.test',
    impersonatorUserId: null,
    organizationId: null,
    action: 'admin.user.suspended',
    targetType: 'user',
    targetId: USER_ID,
    outcome: 'success',
    reason: 'Fraud report #123',
    ip: '198.51.100.7',
    userAgent: 'Firefox',
    requestId: 'req-1',
    metadata: { sessionsRevoked: 2 } as unknown as AuditEntry['metadata'],
    ...overrides,
  };
}

function renderAt(url = '/admin/audit') {
  return render(
    <TestRouter url={url}>
      <AdminAuditPage />
    </TestRouter>,
  );
}

describe('AdminAuditPage', () => {
  beforeEach(() => {
    resetAuth();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(listAuditLog).mockResolvedValue({ items: [entry(12), entry(11, { action: 'auth.login', actorType: 'user', reason: null, outcome: 'denied' })], nextCursor: '11' });
  });

  it('lists entries with actor, target, outcome and reason', async () => {
    renderAt();
    const rows = await screen.findAllByTestId('audit-entry');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('admin.user.suspended');
    expect(within(rows[0]!).getByRole('link', { name: 'root@tollgate.test' })).toHaveAttribute('href', `/admin/users/${ADMIN_ID}`);
    expect(within(rows[0]!).getByRole('link', { name: /^00000000/ })).toHaveAttribute('href', `/admin/users/${USER_ID}`);
    expect(rows[0]).toHaveTextContent('Fraud report #123');
    expect(rows[0]).toHaveTextContent('"sessionsRevoked": 2');
    expect(rows[1]).toHaveTextContent('denied');
    expect(screen.getByText(/Showing 2 entries/)).toBeInTheDocument();
    expect(listAuditLog).toHaveBeenCalledWith(NO_FILTER, null, expect.any(AbortSignal));
  });

  it('applies filters (checked first) and loads older entries with the cursor', async () => {
    const user = userEvent.setup();
    renderAt();
    await screen.findAllByTestId('audit-entry');

    await user.type(screen.getByLabelText('Actor id'), 'ada');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(screen.getByLabelText('Actor id')).toHaveAccessibleDescription(expect.stringContaining('Enter a user id'));
    expect(screen.getByLabelText('Actor id')).toHaveFocus();
    expect(listAuditLog).toHaveBeenCalledTimes(1);

    await user.clear(screen.getByLabelText('Actor id'));
    await user.type(screen.getByLabelText('Actor id'), USER_ID);
    await user.type(screen.getByLabelText(/^Action/), 'admin.user.');
    await user.type(screen.getByLabelText('From'), '2025-03-01');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    const applied = { ...NO_FILTER, actorId: USER_ID, action: 'admin.user.', from: '2025-03-01' };
    await waitFor(() => expect(listAuditLog).toHaveBeenLastCalledWith(applied, null, expect.any(AbortSignal)));

    vi.mocked(listAuditLog).mockResolvedValueOnce({ items: [entry(5, { action: 'admin.user.role_changed' })], nextCursor: null });
    await user.click(await screen.findByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('audit-entry')).toHaveLength(3));
    expect(listAuditLog).toHaveBeenLastCalledWith(applied, '11', expect.any(AbortSignal));
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(screen.getByText('That is everything for these filters.')).toBeInTheDocument();
  });

  it('exports the same filters as CSV through the API client', async () => {
    const user = userEvent.setup();
    const blob = new Blob(['id,created_at\r\n'], { type: 'text/csv' });
    vi.mocked(exportAuditCsv).mockResolvedValueOnce({ blob, filename: 'tollgate-audit-log.csv' });
    renderAt(`/admin/audit?organizationId=${USER_ID}&action=billing.`);
    await screen.findAllByTestId('audit-entry');
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(downloadFile).toHaveBeenCalledWith(blob, 'tollgate-audit-log.csv', 'text/csv;charset=utf-8'));
    expect(exportAuditCsv).toHaveBeenCalledWith({ ...NO_FILTER, organizationId: USER_ID, action: 'billing.' });

    vi.mocked(exportAuditCsv).mockRejectedValueOnce(problem(429, 'RATE_LIMITED'));
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByText(/Export failed: Too many requests/)).toBeInTheDocument();
  });

  it('shows the empty and the error states', async () => {
    vi.mocked(listAuditLog).mockResolvedValueOnce({ items: [], nextCursor: null });
    renderAt('/admin/audit?action=nothing.');
    expect(await screen.findByText('No entries match these filters')).toBeInTheDocument();

    vi.mocked(listAuditLog).mockRejectedValueOnce(problem(500, 'INTERNAL'));
    renderAt();
    expect(await screen.findByText('Could not load the audit log')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
