import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes, useLocation } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { formatDate } from '@/lib/format';
import { problem } from '@/testing/fixtures';
import {
  invoice,
  invoiceSummary,
  PLANS,
  preview,
  PRO,
  STARTER,
  subscription,
  upcoming,
} from '@/testing/billing-fixtures';
import { TestRouter } from '@/testing/router';
import type { PaymentMethodList, Subscription } from '@/types';
import {
  cancelSubscription,
  changePlan,
  createCheckout,
  createPortalSession,
  getInvoice,
  getSubscription,
  getUpcomingInvoice,
  listInvoices,
  listPaymentMethods,
  listPlans,
  previewPlanChange,
  removePaymentMethod,
  resumeSubscription,
  setDefaultPaymentMethod,
  setupPaymentMethod,
} from '../api/billing';
import { redirectTo } from '../lib/redirect';
import { BillingPage, LOCAL_MODE_TEXT } from './billing-page';

vi.mock('../api/billing', () => ({
  INVOICES_PAGE_SIZE: 20,
  listPlans: vi.fn(),
  getSubscription: vi.fn(),
  getUpcomingInvoice: vi.fn(),
  createCheckout: vi.fn(),
  previewPlanChange: vi.fn(),
  changePlan: vi.fn(),
  cancelSubscription: vi.fn(),
  resumeSubscription: vi.fn(),
  createPortalSession: vi.fn(),
  listPaymentMethods: vi.fn(),
  setupPaymentMethod: vi.fn(),
  setDefaultPaymentMethod: vi.fn(),
  removePaymentMethod: vi.fn(),
  listInvoices: vi.fn(),
  getInvoice: vi.fn(),
}));
vi.mock('../lib/redirect', () => ({ redirectTo: vi.fn() }));

const STRIPE_STARTER = subscription({
  plan: STARTER,
  implicit: false,
  source: 'stripe',
  billingMode: 'stripe',
});

const CARDS: PaymentMethodList = {
  billingMode: 'stripe',
  paymentMethods: [
    { id: 'pm_visa', type: 'card', brand: 'visa', last4: '4242', expMonth: 4, expYear: 2099, isDefault: true },
    { id: 'pm_mc', type: 'card', brand: 'mastercard', last4: '4444', expMonth: 12, expYear: 2098, isDefault: false },
  ],
};

function mockApi({ sub = subscription(), methods }: { sub?: Subscription; methods?: PaymentMethodList } = {}) {
  vi.mocked(getSubscription).mockResolvedValue(sub);
  vi.mocked(listPlans).mockResolvedValue(PLANS);
  vi.mocked(getUpcomingInvoice).mockResolvedValue(upcoming({ billingMode: sub.billingMode }));
  vi.mocked(listInvoices).mockResolvedValue({ invoices: [], nextCursor: null });
  vi.mocked(listPaymentMethods).mockResolvedValue(methods ?? { billingMode: sub.billingMode, paymentMethods: [] });
}

function Where() {
  const location = useLocation();
  return <output data-testid="location">{`${location.pathname}${location.search}`}</output>;
}

function renderPage(url = '/billing') {
  return render(
    <TestRouter url={url}>
      <Routes>
        <Route
          path="/billing"
          element={
            <>
              <BillingPage />
              <Where />
            </>
          }
        />
      </Routes>
    </TestRouter>,
  );
}

describe('BillingPage', () => {
  beforeEach(() => {
    vi.mocked(redirectTo).mockReturnValue(true);
  });

  it('says honestly when billing is local, and shows the plan, usage estimate and empty sections', async () => {
    mockApi({ sub: subscription({ plan: STARTER, implicit: false, source: 'local' }) });
    renderPage();

    expect(await screen.findByTestId('local-mode-banner')).toHaveTextContent(LOCAL_MODE_TEXT);
    expect(LOCAL_MODE_TEXT).toBe(
      'Local billing mode: Stripe is not configured. Plan changes apply at once and invoices are generated here at the end of each period.',
    );
    expect(screen.getByTestId('current-plan-name')).toHaveTextContent('Starter');
    expect(screen.getByTestId('current-plan-price')).toHaveTextContent('$19.00 / month');
    expect(screen.getByTestId('subscription-status')).toHaveTextContent('Active');
    expect(screen.getByRole('button', { name: 'Cancel subscription' })).toBeInTheDocument();

    const bar = await screen.findByRole('progressbar', { name: 'Included units used this period' });
    expect(bar).toHaveAttribute('aria-valuenow', '12500');
    expect(bar).toHaveAttribute('aria-valuemax', '50000');
    expect(bar.getAttribute('aria-valuetext')).toContain('12,500 of 50,000 included units used (25%)');
    expect(bar.getAttribute('aria-valuetext')).toContain('Projected by the end of the period: 40,000 units');
    expect(screen.getByTestId('estimate-base')).toHaveTextContent('$19.00');
    expect(screen.getByTestId('estimate-overage')).toHaveTextContent('$0.00');
    expect(screen.getByTestId('estimate-projected')).toHaveTextContent('$19.00');

    const pro = await screen.findByTestId('plan-pro');
    expect(pro).toHaveTextContent('$99 / month');
    expect(pro).toHaveTextContent('500,000 units included per month');
    expect(pro).toHaveTextContent('$0.40 per 1,000 units');
    expect(pro).toHaveTextContent('300 requests per minute');
    expect(pro).toHaveTextContent('Unlimited API keys');
    expect(pro).toHaveTextContent('14-day free trial');
    expect(within(screen.getByTestId('plan-starter')).getByText('Current plan')).toBeInTheDocument();

    expect(await screen.findByText('No payment methods in local billing mode')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add card' })).not.toBeInTheDocument();
    expect(await screen.findByText('No invoices yet')).toBeInTheDocument();
  });

  it('hides Cancel on the Free plan', async () => {
    mockApi({ sub: subscription({ billingMode: 'stripe' }) });
    renderPage();
    expect(await screen.findByTestId('current-plan-name')).toHaveTextContent('Free');
    expect(screen.getByText(/You are on the Free plan/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel subscription' })).not.toBeInTheDocument();
    expect(screen.queryByTestId('local-mode-banner')).not.toBeInTheDocument();
  });

  it('warns when a payment failed, with the end of the grace period', async () => {
    const sub = { ...STRIPE_STARTER, status: 'past_due' as const, pastDueSince: '2025-03-10T12:00:00Z', paymentGraceEndsAt: '2025-03-17T12:00:00Z' };
    mockApi({ sub, methods: CARDS });
    renderPage();
    const banner = await screen.findByTestId('past-due-banner');
    expect(banner).toHaveTextContent('Your last payment failed');
    expect(banner).toHaveTextContent(`before ${formatDate('2025-03-17T12:00:00Z')}`);
    expect(banner).toHaveTextContent('PAYMENT_REQUIRED');
    expect(screen.getByTestId('subscription-status')).toHaveTextContent(`Past due · grace until ${formatDate('2025-03-17T12:00:00Z')}`);
  });

  it('cancels after confirmation, then resumes', async () => {
    const user = userEvent.setup();
    const canceled = { ...STRIPE_STARTER, cancelAtPeriodEnd: true };
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    vi.mocked(cancelSubscription).mockResolvedValue(canceled);
    renderPage();

    const cancel = await screen.findByRole('button', { name: 'Cancel subscription' });
    await user.click(cancel);
    const dialog = screen.getByRole('dialog', { name: 'Cancel your subscription?' });
    expect(dialog).toHaveTextContent(`until ${formatDate(STRIPE_STARTER.currentPeriodEnd)}`);

    // Escape leaves everything as it was.
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(cancelSubscription).not.toHaveBeenCalled();
    await waitFor(() => expect(cancel).toHaveFocus());

    await user.click(cancel);
    vi.mocked(getSubscription).mockResolvedValue(canceled);
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel subscription' }));
    await waitFor(() => expect(cancelSubscription).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('billing-message')).toHaveTextContent(/Canceled\. You keep Starter until/);

    const note = await screen.findByTestId('cancel-scheduled');
    expect(note).toHaveTextContent(`ends on ${formatDate(STRIPE_STARTER.currentPeriodEnd)}`);
    expect(screen.getByTestId('subscription-status')).toHaveTextContent('Cancels');
    expect(screen.queryByRole('button', { name: 'Cancel subscription' })).not.toBeInTheDocument();
    // Moving to Free is already scheduled: no button for it.
    expect(within(screen.getByTestId('plan-free')).queryByRole('button')).not.toBeInTheDocument();

    vi.mocked(resumeSubscription).mockResolvedValue(STRIPE_STARTER);
    vi.mocked(getSubscription).mockResolvedValue(STRIPE_STARTER);
    await user.click(within(note).getByRole('button', { name: 'Resume subscription' }));
    expect(resumeSubscription).toHaveBeenCalledTimes(1);
    expect(await screen.findByText(/Resumed: your Starter plan renews on/)).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Cancel subscription' })).toBeInTheDocument();
  });

  it('shows a cancellation error from the server in the dialog', async () => {
    const user = userEvent.setup();
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    vi.mocked(cancelSubscription).mockRejectedValue(problem(503, 'STRIPE_UNAVAILABLE'));
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Cancel subscription' }));
    const dialog = screen.getByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel subscription' }));
    const alert = await within(dialog).findByText('Something went wrong on our side. Try again in a moment.');
    expect(alert.closest('[role="alert"]')).toHaveFocus();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('previews a plan change and applies it with the preview’s proration date', async () => {
    const user = userEvent.setup();
    const onPro = { ...STRIPE_STARTER, plan: PRO };
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    vi.mocked(previewPlanChange).mockResolvedValue(preview());
    vi.mocked(changePlan).mockResolvedValue(onPro);
    renderPage();

    await user.click(await within(await screen.findByTestId('plan-pro')).findByRole('button', { name: 'Switch to Pro' }));
    expect(createCheckout).not.toHaveBeenCalled();
    const dialog = screen.getByRole('dialog', { name: 'Switch to Pro' });
    expect(previewPlanChange).toHaveBeenCalledWith({ plan: 'pro', interval: 'month' }, expect.anything());

    const lines = await within(dialog).findByTestId('preview-lines');
    expect(lines).toHaveTextContent('Unused time on Starter');
    expect(lines).toHaveTextContent('-$10.45');
    expect(lines).toHaveTextContent('Remaining time on Pro');
    expect(lines).toHaveTextContent('$64.00');
    const summary = within(dialog).getByTestId('preview-summary');
    expect(summary).toHaveTextContent('Charged now$53.55');
    expect(summary).toHaveTextContent('Then$99.00 per month');

    vi.mocked(getSubscription).mockResolvedValue(onPro);
    await user.click(within(dialog).getByRole('button', { name: 'Pay $53.55 and switch' }));
    expect(changePlan).toHaveBeenCalledWith({ plan: 'pro', interval: 'month', prorationDate: 1_741_000_000 });
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('billing-message')).toHaveTextContent('Done: you are now on Pro, billed monthly.');
    await waitFor(() => expect(screen.getByTestId('current-plan-name')).toHaveTextContent('Pro'));
    expect(screen.getByRole('heading', { name: 'Current plan' })).toHaveFocus();
  });

  it('explains a declined card on change and keeps the dialog open', async () => {
    const user = userEvent.setup();
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    vi.mocked(previewPlanChange).mockResolvedValue(preview());
    vi.mocked(changePlan).mockRejectedValue(problem(402, 'PAYMENT_FAILED'));
    renderPage();
    await user.click(await within(await screen.findByTestId('plan-pro')).findByRole('button', { name: 'Switch to Pro' }));
    const dialog = screen.getByRole('dialog');
    await user.click(await within(dialog).findByRole('button', { name: 'Pay $53.55 and switch' }));
    expect(await within(dialog).findByText(/Your card was declined/)).toBeInTheDocument();
  });

  it('changes plan at once in local mode, without a proration date', async () => {
    const user = userEvent.setup();
    const local = subscription({ plan: STARTER, implicit: false, source: 'local' });
    mockApi({ sub: local });
    vi.mocked(previewPlanChange).mockResolvedValue(
      preview({ billingMode: 'local', interval: 'year', amountDue: 0, recurringAmount: 99000, prorationDate: null, lines: [] }),
    );
    vi.mocked(changePlan).mockResolvedValue({ ...local, plan: PRO, interval: 'year' });
    renderPage();

    await user.click(await screen.findByRole('radio', { name: /Annual/ }));
    expect(await screen.findByTestId('plan-pro')).toHaveTextContent('$990 / year');
    await user.click(within(screen.getByTestId('plan-pro')).getByRole('button', { name: 'Switch to Pro' }));
    const dialog = screen.getByRole('dialog', { name: 'Switch to Pro' });
    expect(previewPlanChange).toHaveBeenCalledWith({ plan: 'pro', interval: 'year' }, expect.anything());
    expect(await within(dialog).findByText(/Local billing mode: the change applies at once/)).toBeInTheDocument();
    expect(within(dialog).getByTestId('preview-summary')).toHaveTextContent('Charged now$0.00');
    expect(within(dialog).getByTestId('preview-summary')).toHaveTextContent('Then$990.00 per year');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm change' }));
    expect(changePlan).toHaveBeenCalledWith({ plan: 'pro', interval: 'year' });
  });

  it('sends a Free organization in Stripe mode to Stripe Checkout for a paid plan', async () => {
    const user = userEvent.setup();
    mockApi({ sub: subscription({ billingMode: 'stripe' }) });
    vi.mocked(createCheckout).mockResolvedValue({ id: 'cs_test_1', url: 'https://checkout.stripe.test/c/cs_test_1' });
    renderPage();

    await user.click(await screen.findByRole('radio', { name: /Annual/ }));
    const pro = screen.getByTestId('plan-pro');
    await user.click(within(pro).getByRole('button', { name: 'Start 14-day trial of Pro' }));
    expect(createCheckout).toHaveBeenCalledWith({ plan: 'pro', interval: 'year' });
    await waitFor(() => expect(redirectTo).toHaveBeenCalledWith('https://checkout.stripe.test/c/cs_test_1'));
    expect(previewPlanChange).not.toHaveBeenCalled();
    // While the browser leaves for Stripe, the buttons stay disabled.
    expect(within(pro).getByRole('button', { name: 'Opening checkout…' })).toHaveAttribute('aria-disabled', 'true');
    expect(within(screen.getByTestId('plan-starter')).getByRole('button')).toHaveAttribute('aria-disabled', 'true');
  });

  it('shows a checkout failure next to the plans', async () => {
    const user = userEvent.setup();
    mockApi({ sub: subscription({ billingMode: 'stripe' }) });
    vi.mocked(createCheckout).mockRejectedValue(problem(502, 'STRIPE_ERROR'));
    renderPage();
    await user.click(await within(await screen.findByTestId('plan-starter')).findByRole('button', { name: 'Switch to Starter' }));
    expect(await screen.findByText(/Could not open checkout/)).toBeInTheDocument();
    expect(redirectTo).not.toHaveBeenCalled();
    expect(within(screen.getByTestId('plan-starter')).getByRole('button', { name: 'Switch to Starter' })).not.toHaveAttribute('aria-disabled');
  });

  it('after a successful checkout, polls until the new subscription arrives', async () => {
    mockApi({ sub: subscription({ billingMode: 'stripe' }) });
    vi.mocked(getSubscription)
      .mockResolvedValueOnce(subscription({ billingMode: 'stripe' }))
      .mockResolvedValue({ ...STRIPE_STARTER, plan: PRO, status: 'trialing', trialEnd: '2025-03-15T00:00:00Z' });
    renderPage('/billing?checkout=success&session_id=cs_test_1');

    expect(await screen.findByText('Payment received — your plan updates in a few seconds.')).toBeInTheDocument();
    // The query parameter is dropped so a reload does not poll again.
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/billing$/));
    expect(await screen.findByText('Payment received — you are now on the Pro plan.', {}, { timeout: 4000 })).toBeInTheDocument();
    expect(screen.getByTestId('current-plan-name')).toHaveTextContent('Pro');
    expect(screen.getByTestId('subscription-status')).toHaveTextContent('Trial until');
    const calls = vi.mocked(getSubscription).mock.calls.length;
    await new Promise((r) => setTimeout(r, 2200));
    expect(vi.mocked(getSubscription).mock.calls.length).toBe(calls);
  });

  it('confirms a card added through Stripe and cleans the URL', async () => {
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    renderPage('/billing?setup=success');
    expect(await screen.findByText('Card saved. It is listed under Payment methods below.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/billing$/));
  });

  it('says so neutrally when checkout was canceled', async () => {
    mockApi({ sub: subscription({ billingMode: 'stripe' }) });
    renderPage('/billing?checkout=canceled');
    expect(await screen.findByText('Checkout canceled. Nothing was charged and your plan is unchanged.')).toBeInTheDocument();
    expect(screen.queryByText(/Payment received/)).not.toBeInTheDocument();
  });

  it('lists invoices with links, loads more, and opens the details', async () => {
    const user = userEvent.setup();
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    vi.mocked(listInvoices)
      .mockResolvedValueOnce({ invoices: [invoiceSummary()], nextCursor: 'c2' })
      .mockResolvedValueOnce({
        invoices: [invoiceSummary({ id: '00000000-0000-4000-8000-00000000a002', number: null, status: 'open', hostedInvoiceUrl: null, invoicePdfUrl: null })],
        nextCursor: null,
      });
    vi.mocked(getInvoice).mockResolvedValue(invoice());
    renderPage();

    const table = await screen.findByTestId('invoices');
    const [row] = within(table).getAllByTestId('invoice');
    expect(row).toHaveTextContent('TG-0001');
    expect(row).toHaveTextContent('Paid');
    expect(row).toHaveTextContent('$24.00');
    expect(within(row!).getByRole('link', { name: /^View Invoice TG-0001/ })).toHaveAttribute('href', 'https://invoice.stripe.test/i/1');
    expect(within(row!).getByRole('link', { name: /^PDF of Invoice TG-0001/ })).toHaveAttribute('href', 'https://invoice.stripe.test/i/1.pdf');

    await user.click(screen.getByRole('button', { name: 'Load more' }));
    expect(listInvoices).toHaveBeenLastCalledWith('c2', expect.anything());
    await waitFor(() => expect(within(table).getAllByTestId('invoice')).toHaveLength(2));
    expect(within(table).getAllByTestId('invoice')[1]).toHaveTextContent('No number yet');
    expect(screen.getByText('Showing 2 invoices (all of them).')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();

    await user.click(within(row!).getByRole('button', { name: 'Details of Invoice TG-0001' }));
    const dialog = screen.getByRole('dialog', { name: 'Invoice TG-0001' });
    expect(getInvoice).toHaveBeenCalledWith(invoiceSummary().id, expect.anything());
    const lines = await within(dialog).findByTestId('invoice-lines');
    expect(lines).toHaveTextContent('Overage: 10,000 units');
    expect(lines).toHaveTextContent('$0.50 / 1,000');
    expect(within(dialog).getByTestId('invoice-totals')).toHaveTextContent('Total$24.00');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

    // A click on the row itself opens the details too.
    await user.click(within(table).getAllByTestId('invoice')[1]!.querySelector('td')!);
    expect(await screen.findByRole('dialog', { name: /^Invoice for/ })).toBeInTheDocument();
  });

  it('shows an error state with retry when invoices fail to load', async () => {
    const user = userEvent.setup();
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    vi.mocked(listInvoices).mockRejectedValueOnce(problem(500, 'INTERNAL')).mockResolvedValue({ invoices: [], nextCursor: null });
    renderPage();
    expect(await screen.findByText('Could not load your invoices')).toBeInTheDocument();
    const section = screen.getByRole('region', { name: 'Invoices' });
    await user.click(within(section).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No invoices yet')).toBeInTheDocument();
  });

  it('manages payment methods: default, remove with confirmation, add card and portal', async () => {
    const user = userEvent.setup();
    mockApi({ sub: STRIPE_STARTER, methods: CARDS });
    vi.mocked(setDefaultPaymentMethod).mockResolvedValue(CARDS);
    vi.mocked(removePaymentMethod).mockResolvedValue();
    vi.mocked(setupPaymentMethod).mockResolvedValue({ id: 'cs_setup', url: 'https://checkout.stripe.test/setup' });
    vi.mocked(createPortalSession).mockResolvedValue({ id: 'bps_1', url: 'https://billing.stripe.test/p/1' });
    renderPage();

    const methods = await screen.findAllByTestId('payment-method');
    expect(methods[0]).toHaveTextContent('Visa');
    expect(methods[0]).toHaveTextContent('•••• 4242');
    expect(methods[0]).toHaveTextContent('Expires 04/2099');
    expect(methods[0]).toHaveTextContent('Default');
    expect(within(methods[0]!).queryByRole('button', { name: /Make .* the default/ })).not.toBeInTheDocument();

    await user.click(within(methods[1]!).getByRole('button', { name: 'Make Mastercard ending in 4444 the default' }));
    expect(setDefaultPaymentMethod).toHaveBeenCalledWith('pm_mc');
    expect(await screen.findByText('Mastercard ending in 4444 is now your default payment method.')).toBeInTheDocument();

    await user.click(within(methods[1]!).getByRole('button', { name: 'Remove Mastercard ending in 4444' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove this card?' });
    expect(removePaymentMethod).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Remove card' }));
    expect(removePaymentMethod).toHaveBeenCalledWith('pm_mc');
    expect(await screen.findByText('Removed Mastercard ending in 4444.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Add card' }));
    expect(setupPaymentMethod).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(redirectTo).toHaveBeenCalledWith('https://checkout.stripe.test/setup'));
  });

  it('opens the Stripe billing portal', async () => {
    const user = userEvent.setup();
    mockApi({ sub: STRIPE_STARTER, methods: { billingMode: 'stripe', paymentMethods: [] } });
    vi.mocked(createPortalSession).mockResolvedValue({ id: 'bps_1', url: 'https://billing.stripe.test/p/1' });
    renderPage();
    expect(await screen.findByText('No saved cards')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Manage in Stripe' }));
    await waitFor(() => expect(redirectTo).toHaveBeenCalledWith('https://billing.stripe.test/p/1'));
    expect(screen.getByRole('button', { name: 'Opening Stripe…' })).toHaveAttribute('aria-disabled', 'true');
  });

  it('shows an error state when the subscription cannot be loaded', async () => {
    mockApi();
    vi.mocked(getSubscription).mockRejectedValue(problem(500, 'INTERNAL'));
    renderPage();
    expect(await screen.findByText('Could not load your subscription')).toBeInTheDocument();
  });

  it('shows an empty state when no plans are published', async () => {
    mockApi({ sub: subscription({ billingMode: 'stripe' }) });
    vi.mocked(listPlans).mockResolvedValue([]);
    renderPage();
    expect(await screen.findByText('No plans to choose from')).toBeInTheDocument();
  });
});
