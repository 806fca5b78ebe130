import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { adminPlan, FREE, PRO, STARTER } from '@/testing/billing-fixtures';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { AdminPlan } from '@/types';
import { createPlan, listAdminPlans, updatePlan } from '../api/admin-plans';
import { AdminPlansPage } from './admin-plans-page';

vi.mock('../api/admin-plans', () => ({
  listAdminPlans: vi.fn(),
  createPlan: vi.fn(),
  updatePlan: vi.fn(),
}));

const PLANS: AdminPlan[] = [
  adminPlan(FREE, { displayOrder: 10, subscribers: 120 }),
  adminPlan(STARTER, {
    subscribers: 7,
    stripe: {
      productId: 'prod_starter',
      priceMonthlyId: 'price_m',
      priceAnnualId: 'price_y',
      priceMeteredId: 'price_o',
      meterId: 'mtr_1',
      syncedAt: '2025-03-01T10:00:00Z',
    },
  }),
  adminPlan(PRO, { status: 'archived', isPublic: false, subscribers: 0, displayOrder: 30 }),
];

function renderPage() {
  return render(
    <TestRouter url="/admin/plans">
      <AdminPlansPage />
    </TestRouter>,
  );
}

describe('AdminPlansPage', () => {
  beforeEach(() => {
    resetAuth();
    vi.mocked(listAdminPlans).mockResolvedValue(PLANS);
  });

  it('tells non-admins they are not allowed, without asking the server', () => {
    signInAs({ role: 'USER' });
    renderPage();
    expect(screen.getByTestId('not-allowed')).toHaveTextContent('Not allowed');
    expect(listAdminPlans).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Create plan' })).not.toBeInTheDocument();
  });

  it('lists plans with status, subscribers, price and Stripe sync state', async () => {
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    renderPage();
    const rows = await screen.findAllByTestId('admin-plan');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('Free');
    expect(rows[0]).toHaveTextContent('120');
    expect(rows[0]).toHaveTextContent('Not in Stripe');
    expect(rows[1]).toHaveTextContent('$19.00 / month · $190.00 / year');
    expect(rows[1]).toHaveTextContent('Synced');
    expect(rows[1]).toHaveTextContent('prod_starter');
    expect(rows[2]).toHaveTextContent('Archived');
    expect(rows[2]).toHaveTextContent('Hidden');
    expect(within(rows[2]!).getByRole('button', { name: 'Unarchive Pro' })).toBeInTheDocument();
  });

  it('explains that admin pages need two-factor authentication', async () => {
    signInAs({ role: 'ADMIN' });
    vi.mocked(listAdminPlans).mockRejectedValue(problem(403, 'ADMIN_2FA_REQUIRED'));
    renderPage();
    const state = await screen.findByTestId('admin-2fa-required');
    expect(within(state).getByRole('link', { name: /Set it up/ })).toHaveAttribute('href', '/account#two-factor');
  });

  it('validates a new plan on the client, then creates it with exact minor units', async () => {
    const user = userEvent.setup();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    const created = adminPlan({ ...STARTER, id: 'new', slug: 'team', name: 'Team', priceMonthly: 4999 });
    vi.mocked(createPlan).mockResolvedValue(created);
    renderPage();

    await user.click(await screen.findByRole('button', { name: 'Create plan' }));
    const dialog = screen.getByRole('dialog', { name: 'Create a plan' });
    const slug = within(dialog).getByLabelText('Slug');
    expect(slug).toHaveFocus();

    await user.type(slug, 'Team Plan');
    await user.type(within(dialog).getByLabelText('Monthly price'), '49.999');
    const features = within(dialog).getByLabelText('Features');
    await user.clear(features);
    await user.type(features, '[[1]');
    await user.click(within(dialog).getByRole('button', { name: 'Create plan' }));

    expect(createPlan).not.toHaveBeenCalled();
    expect(slug).toHaveFocus();
    expect(slug).toHaveAccessibleDescription(expect.stringContaining('Use lowercase letters'));
    expect(within(dialog).getByLabelText('Name')).toHaveAccessibleDescription('Give the plan a name.');
    expect(within(dialog).getByLabelText('Monthly price')).toHaveAccessibleDescription(expect.stringContaining('Use at most 2 decimal places.'));
    expect(features).toHaveAccessibleDescription(expect.stringContaining('must be a JSON object'));

    await user.clear(slug);
    await user.type(slug, 'team');
    await user.type(within(dialog).getByLabelText('Name'), 'Team');
    await user.clear(within(dialog).getByLabelText('Monthly price'));
    await user.type(within(dialog).getByLabelText('Monthly price'), '49.99');
    await user.type(within(dialog).getByLabelText(/Annual price/), '0.1');
    await user.clear(within(dialog).getByLabelText('Overage price per block'));
    await user.type(within(dialog).getByLabelText('Overage price per block'), '0.29');
    await user.clear(features);
    await user.type(features, '{{"sso": true}');
    await user.click(within(dialog).getByRole('button', { name: 'Create plan' }));

    await waitFor(() => expect(createPlan).toHaveBeenCalledTimes(1));
    expect(vi.mocked(createPlan).mock.calls[0]![0]).toMatchObject({
      slug: 'team',
      name: 'Team',
      priceMonthly: 4999,
      priceAnnual: 10,
      overagePrice: 29,
      features: { sso: true },
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByText('Created Team (team).')).toBeInTheDocument();
  });

  it('shows server field errors next to the fields', async () => {
    const user = userEvent.setup();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(createPlan).mockRejectedValueOnce(
      problem(422, 'VALIDATION_FAILED', [
        { field: 'rateLimitPerMinute', message: 'must be at most 10000000' },
        { field: 'somethingElse', message: 'is odd' },
      ]),
    );
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Create plan' }));
    const dialog = screen.getByRole('dialog');
    await user.type(within(dialog).getByLabelText('Slug'), 'team');
    await user.type(within(dialog).getByLabelText('Name'), 'Team');
    await user.type(within(dialog).getByLabelText('Monthly price'), '10');
    await user.click(within(dialog).getByRole('button', { name: 'Create plan' }));

    const rate = within(dialog).getByLabelText('Rate limit per minute');
    await waitFor(() => expect(rate).toHaveAccessibleDescription('Must be at most 10000000.'));
    expect(rate).toHaveFocus();
    expect(within(dialog).getByRole('alert')).toHaveTextContent('somethingElse: is odd');

    vi.mocked(createPlan).mockRejectedValueOnce(problem(409, 'PLAN_SLUG_TAKEN'));
    await user.click(within(dialog).getByRole('button', { name: 'Create plan' }));
    await waitFor(() => expect(within(dialog).getByLabelText('Slug')).toHaveAccessibleDescription(/already exists/));
  });

  it('edits a plan and PATCHes only the changed fields; the slug is read-only', async () => {
    const user = userEvent.setup();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(updatePlan).mockResolvedValue({ ...PLANS[1]!, priceMonthly: 2400 });
    renderPage();

    await user.click(await screen.findByRole('button', { name: 'Edit Starter' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit Starter' });
    expect(dialog).toHaveTextContent('7 organizations are on this plan');
    expect(within(dialog).getByLabelText('Slug')).toHaveAttribute('readonly');
    expect(within(dialog).getByLabelText('Name')).toHaveFocus();
    const price = within(dialog).getByLabelText('Monthly price');
    expect(price).toHaveValue('19.00');
    expect(within(dialog).getByLabelText('Overage price per block')).toHaveValue('0.50');

    // Nothing changed: nothing is sent.
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    expect(await within(dialog).findByText('Nothing has changed, so there is nothing to save.')).toBeInTheDocument();
    expect(updatePlan).not.toHaveBeenCalled();

    await user.clear(price);
    await user.type(price, '24');
    await user.clear(within(dialog).getByLabelText(/Max API keys/));
    await user.click(within(dialog).getByLabelText(/Public/));
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));

    await waitFor(() => expect(updatePlan).toHaveBeenCalledTimes(1));
    expect(updatePlan).toHaveBeenCalledWith(PLANS[1]!.id, { priceMonthly: 2400, maxApiKeys: null, isPublic: false });
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByText('Saved Starter.')).toBeInTheDocument();
  });

  it('archives after confirmation and unarchives', async () => {
    const user = userEvent.setup();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(updatePlan).mockImplementation(async (id, changes) => ({ ...PLANS.find((p) => p.id === id)!, ...changes }) as AdminPlan);
    renderPage();

    await user.click(await screen.findByRole('button', { name: 'Archive Starter' }));
    const dialog = screen.getByRole('dialog', { name: 'Archive Starter?' });
    expect(dialog).toHaveTextContent('Its 7 subscribers keep it until they change plan.');
    await user.click(within(dialog).getByRole('button', { name: 'Archive plan' }));
    expect(updatePlan).toHaveBeenCalledWith(PLANS[1]!.id, { status: 'archived' });
    expect(await screen.findByText(/Archived Starter/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Unarchive Pro' }));
    expect(updatePlan).toHaveBeenLastCalledWith(PLANS[2]!.id, { status: 'active' });
    expect(await screen.findByText('Pro is active again.')).toBeInTheDocument();
  });
});
