import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PLANS, STARTER } from '@/testing/billing-fixtures';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import { listPlans } from '../api/billing';
import { PricingPage } from './pricing-page';

vi.mock('../api/billing', () => ({ listPlans: vi.fn() }));

function renderPage() {
  return render(
    <TestRouter url="/pricing">
      <PricingPage />
    </TestRouter>,
  );
}

describe('PricingPage', () => {
  beforeEach(() => {
    resetAuth('anonymous');
  });

  it('shows every public plan with price, included units, overage, limits, trial and features', async () => {
    vi.mocked(listPlans).mockResolvedValue(PLANS);
    renderPage();

    const plans = await screen.findByRole('list', { name: 'Plans' });
    expect(within(plans).getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['Free', 'Starter', 'Pro']);

    const free = screen.getByTestId('plan-free');
    expect(free).toHaveTextContent('$0 forever');
    expect(free).toHaveTextContent('1,000 units included per month');
    expect(within(free).getByTestId('plan-overage')).toHaveTextContent('No overage: calls beyond the included units are refused');
    expect(free).toHaveTextContent('Up to 2 API keys');
    // Feature flags, readably: values, day counts and excluded flags.
    expect(free).toHaveTextContent('Support: Community');
    expect(free).toHaveTextContent('Usage history: 7 days');
    expect(within(free).getByText('CSV export').closest('li')).toHaveClass('is-excluded');
    expect(within(free).getByText('CSV export').closest('li')).toHaveTextContent('(not included)');
    expect(within(free).getByRole('link', { name: 'Start free' })).toHaveAttribute('href', '/register');

    const starter = screen.getByTestId('plan-starter');
    expect(starter).toHaveTextContent('$19 / month');
    expect(within(starter).getByTestId('plan-overage')).toHaveTextContent('$0.50 per 1,000 units');
    expect(starter).toHaveTextContent('60 requests per minute');
    expect(starter).toHaveTextContent('Up to 3 team members');
    expect(within(starter).getByText('CSV export').closest('li')).not.toHaveClass('is-excluded');
    expect(within(starter).getByRole('link', { name: 'Get Starter' })).toHaveAttribute('href', '/register');

    const pro = screen.getByTestId('plan-pro');
    expect(pro).toHaveTextContent('14-day free trial');
    expect(pro).toHaveTextContent('Unlimited API keys');
    expect(within(pro).getByRole('link', { name: 'Start 14-day free trial' })).toHaveAttribute('href', '/register');
  });

  it('switches to annual prices', async () => {
    const user = userEvent.setup();
    vi.mocked(listPlans).mockResolvedValue([...PLANS, { ...STARTER, id: 'x', slug: 'monthly-only', name: 'Monthly only', priceAnnual: null }]);
    renderPage();
    const annual = await screen.findByRole('radio', { name: /Annual · save up to 16%/ });
    expect(screen.getByRole('radio', { name: 'Monthly' })).toBeChecked();
    await user.click(annual);
    expect(annual).toBeChecked();
    expect(screen.getByTestId('plan-starter')).toHaveTextContent('$190 / year');
    expect(screen.getByTestId('plan-starter')).toHaveTextContent('$15.83 per month, billed yearly · save 16%');
    expect(screen.getByTestId('plan-pro')).toHaveTextContent('$990 / year');
    expect(screen.getByTestId('plan-monthly-only')).toHaveTextContent('$19 / month');
    expect(screen.getByTestId('plan-monthly-only')).toHaveTextContent('Billed monthly only');
  });

  it('sends signed-in users to billing', async () => {
    signInAs();
    vi.mocked(listPlans).mockResolvedValue(PLANS);
    renderPage();
    const starter = await screen.findByTestId('plan-starter');
    expect(within(starter).getByRole('link', { name: 'Choose Starter' })).toHaveAttribute('href', '/billing#plans');
    expect(within(screen.getByTestId('plan-free')).getByRole('link', { name: 'Manage your plan' })).toHaveAttribute('href', '/billing#plans');
  });

  it('has loading, empty and error states', async () => {
    const user = userEvent.setup();
    vi.mocked(listPlans).mockRejectedValueOnce(problem(503, 'SERVICE_UNAVAILABLE')).mockResolvedValue([]);
    renderPage();
    expect(screen.getByText('Loading plans…')).toBeInTheDocument();
    expect(await screen.findByText('Could not load the plans')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No plans published yet')).toBeInTheDocument();
  });
});
