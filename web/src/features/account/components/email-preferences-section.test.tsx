import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api-client';
import { READ_ONLY_MESSAGE } from '@/lib/errors';
import { problem, signInAs } from '@/testing/fixtures';
import type { NotificationEmailSettings } from '@/types';
import { getNotificationPreferences, updateEmailPreferences } from '../api/notification-preferences';
import { EmailPreferencesSection } from './email-preferences-section';

vi.mock('../api/notification-preferences', () => ({
  getNotificationPreferences: vi.fn(),
  updateEmailPreferences: vi.fn(),
}));

const ALL_ON: NotificationEmailSettings = {
  quota_80: true,
  quota_100: true,
  payment_failed: true,
  payment_succeeded: true,
  key_expiring: true,
  new_sign_in: true,
};

describe('EmailPreferencesSection', () => {
  beforeEach(() => {
    signInAs();
    vi.mocked(getNotificationPreferences).mockResolvedValue(ALL_ON);
  });

  it('shows a labelled switch per kind with help text, and saves only what changed', async () => {
    const user = userEvent.setup();
    vi.mocked(updateEmailPreferences).mockImplementation(async (changes) => ({ ...ALL_ON, ...changes }));
    render(<EmailPreferencesSection />);

    const receipts = await screen.findByRole('switch', { name: 'Payment receipts' });
    expect(screen.getAllByRole('switch')).toHaveLength(6);
    expect(receipts).toBeChecked();
    expect(receipts).toHaveAccessibleDescription('When a payment goes through.');
    expect(screen.getByRole('switch', { name: 'Quota at 80%' })).toHaveAccessibleDescription(expect.stringContaining('80%'));

    await user.click(receipts);
    expect(receipts).not.toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Save email preferences' }));
    await waitFor(() => expect(updateEmailPreferences).toHaveBeenCalledWith({ payment_succeeded: false }));
    expect(await screen.findByText('Email preferences saved.')).toBeInTheDocument();

    // Turning one off and back on again is no change at all.
    await user.click(screen.getByRole('switch', { name: 'New sign-ins' }));
    await user.click(screen.getByRole('switch', { name: 'New sign-ins' }));
    await user.click(screen.getByRole('button', { name: 'Save email preferences' }));
    expect(await screen.findByText('Nothing to save: no preference changed.')).toBeInTheDocument();
    expect(updateEmailPreferences).toHaveBeenCalledTimes(1);
  });

  it("shows the server's refusal, and the read-only message during a view as customer", async () => {
    const user = userEvent.setup();
    vi.mocked(updateEmailPreferences).mockRejectedValueOnce(problem(422, 'VALIDATION_FAILED', [{ field: 'email.quota_80', message: 'must be true or false' }]));
    render(<EmailPreferencesSection />);
    const quota = await screen.findByRole('switch', { name: 'Quota at 80%' });
    await user.click(quota);
    await user.click(screen.getByRole('button', { name: 'Save email preferences' }));
    await waitFor(() => expect(quota).toHaveAccessibleDescription(expect.stringContaining('Must be true or false.')));
    expect(updateEmailPreferences).toHaveBeenCalledWith({ quota_80: false });

    vi.mocked(updateEmailPreferences).mockRejectedValueOnce(
      new ApiError({ status: 403, code: 'IMPERSONATION_READ_ONLY', title: 'Forbidden', detail: 'You are viewing as this customer, read-only.' }),
    );
    await user.click(screen.getByRole('button', { name: 'Save email preferences' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(READ_ONLY_MESSAGE);
    expect(screen.queryByText('Email preferences saved.')).not.toBeInTheDocument();
  });

  it('shows a load error with a retry', async () => {
    vi.mocked(getNotificationPreferences).mockRejectedValue(problem(503, 'SERVICE_UNAVAILABLE'));
    render(<EmailPreferencesSection />);
    expect(await screen.findByText('Could not load your email preferences')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
