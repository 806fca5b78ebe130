import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api-client';
import { adminPlan, FREE, PRO, STARTER } from '@/testing/billing-fixtures';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { AdminOrganization, AdminOrganizationDetail } from '@/types';
import { compPlan, getOrganization, listOrganizations, listPlans, suspendOrganization } from '../api/admin-organizations';
import { NO_FILTER } from '../lib/organization-filter';
import { AdminOrganizationsPage } from './admin-organizations-page';

vi.mock('../api/admin-organizations', () => ({
  listOrganizations: vi.fn(),
  getOrganization: vi.fn(),
  suspendOrganization: vi.fn(),
  reactivateOrganization: vi.fn(),
  compPlan: vi.fn(),
  listPlans: vi.fn(),
}));

const ACME: AdminOrganization = {
  id: '00000000-0000-4000-8000-0000000000a1',
  name: 'Acme Corp',
  personal: false,
  status: 'active',
  statusReason: null,
  createdAt: '2025-02-01T00:00:00Z',
  owner: { id: '00000000-0000-4000-8000-000000000009', email: 'olivia@acme.test', name: 'Olivia Owner' },
  memberCount: 4,
  plan: { slug: 'starter', name: 'Starter' },
};

const PERSONAL: AdminOrganization = {
  ...ACME,
  id: '00000000-0000-4000-8000-0000000000a0',
  name: 'Ada Lovelace',
  personal: true,
  status: 'suspended',
  statusReason: 'Chargeback',
  owner: { id: '00000000-0000-4000-8000-000000000001', email: 'ada@example.com', name: 'Ada Lovelace' },
  memberCount: 1,
  plan: null,
};

const DETAIL: AdminOrganizationDetail = {
  ...ACME,
  billingEmail: 'billing@acme.test',
  stripeCustomerId: 'cus_123',
  members: [
    { userId: ACME.owner.id, email: 'olivia@acme.test', name: 'Olivia Owner', role: 'OWNER', status: 'active', joinedAt: '2025-02-01T00:00:00Z' },
    { userId: '00000000-0000-4000-8000-000000000003', email: 'grace@acme.test', name: null, role: 'MEMBER', status: 'suspended', joinedAt: '2025-02-03T00:00:00Z' },
  ],
  subscription: {
    id: '00000000-0000-4000-8000-00000000c001',
    plan: { slug: 'starter', name: 'Starter' },
    status: 'active',
    source: 'local',
    interval: 'year',
    currentPeriodStart: '2025-01-01T00:00:00Z',
    currentPeriodEnd: '2026-01-01T00:00:00Z',
    cancelAtPeriodEnd: false,
    includedUnits: 50000,
    unitsUsed: 150000,
  },
  keys: { active: 3, total: 5 },
  invoices: [
    { id: '00000000-0000-4000-8000-00000000a001', number: 'TG-0001', status: 'paid', source: 'local', currency: 'USD', total: 19000, createdAt: '2025-01-01T00:00:00Z' },
  ],
};

function renderAt(url: string) {
  return render(
    <TestRouter url={url}>
      <Routes>
        <Route path="/admin/organizations/:id?" element={<AdminOrganizationsPage />} />
      </Routes>
    </TestRouter>,
  );
}

describe('AdminOrganizationsPage', () => {
  beforeEach(() => {
    resetAuth();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(listOrganizations).mockResolvedValue({ items: [ACME, PERSONAL], total: 2, page: 1, pageSize: 25 });
    vi.mocked(listPlans).mockResolvedValue([adminPlan(FREE), adminPlan(STARTER), adminPlan(PRO, { isPublic: false }), adminPlan({ ...PRO, id: 'old', slug: 'legacy', name: 'Legacy' }, { status: 'archived' })]);
    vi.mocked(getOrganization).mockResolvedValue(DETAIL);
  });

  it('lists organizations with owner, members, plan and status', async () => {
    renderAt('/admin/organizations');
    const rows = await screen.findAllByTestId('admin-organization');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Acme Corp');
    expect(rows[0]).toHaveTextContent('olivia@acme.test');
    expect(rows[0]).toHaveTextContent('Starter');
    expect(rows[1]).toHaveTextContent('Personal');
    expect(rows[1]).toHaveTextContent('Suspended');
    expect(screen.getByText(/1–2 of 2 organizations/)).toBeInTheDocument();
  });

  it('filters by status, plan and a debounced search', async () => {
    const user = userEvent.setup();
    renderAt('/admin/organizations');
    await screen.findAllByTestId('admin-organization');
    await user.selectOptions(screen.getByLabelText('Status'), 'suspended');
    await user.selectOptions(screen.getByLabelText('Plan'), 'pro');
    await waitFor(() =>
      expect(listOrganizations).toHaveBeenLastCalledWith({ ...NO_FILTER, status: 'suspended', plan: 'pro' }, expect.any(AbortSignal)),
    );
    await user.type(screen.getByLabelText('Search'), 'acme');
    await waitFor(() =>
      expect(listOrganizations).toHaveBeenLastCalledWith({ ...NO_FILTER, status: 'suspended', plan: 'pro', q: 'acme' }, expect.any(AbortSignal)),
    );
    expect(vi.mocked(listOrganizations).mock.calls.map(([f]) => f.q)).not.toContain('ac');
  });

  it('shows the empty and error states', async () => {
    vi.mocked(listOrganizations).mockResolvedValueOnce({ items: [], total: 0, page: 1, pageSize: 25 });
    renderAt('/admin/organizations?status=deleted');
    expect(await screen.findByText('No organizations match these filters')).toBeInTheDocument();

    vi.mocked(listOrganizations).mockRejectedValueOnce(problem(503, 'SERVICE_UNAVAILABLE'));
    renderAt('/admin/organizations?q=x');
    expect(await screen.findByText('Could not load the organizations')).toBeInTheDocument();
  });

  it('shows the details: members, usage of a yearly pool, keys and invoices', async () => {
    renderAt(`/admin/organizations/${ACME.id}`);
    const drawer = await screen.findByRole('dialog', { name: 'Acme Corp' });
    await within(drawer).findByText('Overview');
    // The owner, in the overview and among the members.
    for (const link of within(drawer).getAllByRole('link', { name: 'Olivia Owner' })) {
      expect(link).toHaveAttribute('href', `/admin/users/${ACME.owner.id}`);
    }
    expect(drawer).toHaveTextContent('3 active of 5');
    // A yearly subscription: 12 × 50,000 units.
    expect(drawer).toHaveTextContent('150,000 / 600,000');
    expect(drawer).toHaveTextContent('TG-0001');
    expect(drawer).toHaveTextContent('$190.00');
    expect(drawer).toHaveTextContent('Suspended');
  });

  it('suspends with a required reason', async () => {
    const user = userEvent.setup();
    vi.mocked(suspendOrganization).mockResolvedValue({ ...DETAIL, status: 'suspended' });
    renderAt(`/admin/organizations/${ACME.id}`);
    const drawer = await screen.findByRole('dialog', { name: 'Acme Corp' });
    await user.click(await within(drawer).findByRole('button', { name: 'Suspend' }));
    const confirm = screen.getByRole('dialog', { name: 'Suspend Acme Corp?' });
    await user.click(within(confirm).getByRole('button', { name: 'Suspend organization' }));
    expect(suspendOrganization).not.toHaveBeenCalled();
    await user.type(within(confirm).getByLabelText(/Reason/), 'Abuse report');
    await user.click(within(confirm).getByRole('button', { name: 'Suspend organization' }));
    await waitFor(() => expect(suspendOrganization).toHaveBeenCalledWith(ACME.id, 'Abuse report'));
    expect(await within(drawer).findByText(/Suspended Acme Corp/)).toBeInTheDocument();
  });

  it('comps a plan chosen from the active plans, and shows a 409 detail', async () => {
    const user = userEvent.setup();
    vi.mocked(compPlan).mockRejectedValueOnce(
      new ApiError({
        status: 409,
        code: 'STRIPE_SUBSCRIPTION_ACTIVE',
        title: 'Conflict',
        detail: 'The organization pays through a Stripe subscription; cancel it (or change it in Stripe) before giving a plan by hand.',
      }),
    );
    vi.mocked(compPlan).mockResolvedValueOnce({ ...DETAIL, subscription: { ...DETAIL.subscription!, plan: { slug: 'pro', name: 'Pro' }, source: 'manual' } });
    renderAt(`/admin/organizations/${ACME.id}`);
    const drawer = await screen.findByRole('dialog', { name: 'Acme Corp' });
    await user.click(await within(drawer).findByRole('button', { name: 'Change plan (comped)' }));
    const confirm = screen.getByRole('dialog', { name: 'Change the plan of Acme Corp' });
    const select = within(confirm).getByLabelText('New plan');
    const options = within(select).getAllByRole('option').map((o) => o.textContent);
    expect(options).toEqual(['Choose a plan', 'Free', 'Starter (current)', 'Pro (hidden)']);

    await user.type(within(confirm).getByLabelText(/Reason/), 'Partner deal');
    await user.click(within(confirm).getByRole('button', { name: 'Change plan' }));
    expect(select).toHaveAccessibleDescription(expect.stringContaining('Choose the plan to give.'));
    expect(compPlan).not.toHaveBeenCalled();

    await user.selectOptions(select, 'pro');
    await user.click(within(confirm).getByRole('button', { name: 'Change plan' }));
    expect(await within(confirm).findByText(/pays through a Stripe subscription; cancel it/)).toBeInTheDocument();
    expect(compPlan).toHaveBeenCalledWith(ACME.id, 'pro', 'Partner deal');

    await user.click(within(confirm).getByRole('button', { name: 'Change plan' }));
    expect(await within(drawer).findByText('Acme Corp is now on Pro, comped.')).toBeInTheDocument();
  });
});
