import { render, screen, waitFor } from '@testing-library/react';
import { StrictMode } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { TestRouter } from '@/testing/router';
import { problem, resetAuth } from '@/testing/fixtures';
import { verifyEmail } from '../api/email-verification';
import { VerifyEmailPage } from './verify-email-page';

vi.mock('../api/email-verification', () => ({ verifyEmail: vi.fn(), resendVerification: vi.fn() }));

function renderAt(url: string) {
  return render(
    <StrictMode>
      <TestRouter url={url}>
        <VerifyEmailPage />
      </TestRouter>
    </StrictMode>,
  );
}

describe('VerifyEmailPage', () => {
  beforeEach(() => resetAuth());

  it('spends the single-use token once, even under StrictMode, and shows the address', async () => {
    vi.mocked(verifyEmail).mockResolvedValue({ verified: true, email: 'ada@example.com' });
    renderAt('/verify-email?token=tok-1');
    const focused = await screen.findByRole('heading', { name: 'Email verified' });
    // Focus moves in an effect after the heading renders: wait for it rather than race it.
    await waitFor(() => expect(focused).toHaveFocus());
    expect(screen.getByText('ada@example.com')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login');
    expect(verifyEmail).toHaveBeenCalledTimes(1);
  });

  it('explains a dead link and offers to send a new one', async () => {
    vi.mocked(verifyEmail).mockRejectedValue(problem(400, 'INVALID_TOKEN'));
    renderAt('/verify-email?token=tok-2');
    expect(await screen.findByRole('heading', { name: 'This link no longer works' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send a new link' })).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toBeInTheDocument();
  });
});
