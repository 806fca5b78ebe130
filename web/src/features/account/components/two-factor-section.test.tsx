import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '@/stores/auth-store';
import { problem, signInAs, USER } from '@/testing/fixtures';
import { enableTwoFactor, getTwoFactorStatus, setupTwoFactor } from '../api/two-factor';
import { TwoFactorSection } from './two-factor-section';

vi.mock('../api/two-factor', () => ({
  getTwoFactorStatus: vi.fn(),
  setupTwoFactor: vi.fn(),
  enableTwoFactor: vi.fn(),
  disableTwoFactor: vi.fn(),
  regenerateRecoveryCodes: vi.fn(),
}));

const CODES = Array.from({ length: 10 }, (_, i) => `code${i}-abcde`);

describe('TwoFactorSection', () => {
  beforeEach(() => signInAs());

  it('enrols: password, QR code and setup key, confirmation code, recovery codes shown once', async () => {
    vi.mocked(getTwoFactorStatus).mockResolvedValue({ enabled: false, pending: false, recoveryCodesRemaining: 0 });
    vi.mocked(setupTwoFactor).mockRejectedValueOnce(problem(403, 'INVALID_PASSWORD')).mockResolvedValue({
      secret: 'JBSWY3DPEHPK3PXPJBSWY3DP',
      otpauthUri: 'otpauth://totp/Tollgate:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=Tollgate',
    });
    vi.mocked(enableTwoFactor).mockRejectedValueOnce(problem(400, 'INVALID_MFA_CODE')).mockResolvedValue(CODES);
    const user = userEvent.setup();
    render(<TwoFactorSection user={USER} />);

    await user.click(await screen.findByRole('button', { name: 'Set up two-factor authentication' }));
    const password = screen.getByLabelText('Password');
    expect(password).toHaveFocus();
    await user.type(password, 'wrong');
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(password).toHaveAccessibleDescription('Your password is incorrect.'));
    await user.clear(password);
    await user.type(password, 'right password');
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    expect(await screen.findByRole('img', { name: /QR code/ })).toBeInTheDocument();
    expect(screen.getByTestId('totp-secret')).toHaveTextContent('JBSW Y3DP EHPK 3PXP JBSW Y3DP');

    const code = screen.getByLabelText('Code from the app');
    await user.type(code, '12345');
    await user.click(screen.getByRole('button', { name: 'Turn on two-factor' }));
    expect(code).toHaveAccessibleDescription(expect.stringContaining('Authenticator codes have 6 digits.'));
    expect(enableTwoFactor).not.toHaveBeenCalled();
    await user.type(code, '6');
    await user.click(screen.getByRole('button', { name: 'Turn on two-factor' }));
    await waitFor(() => expect(code).toHaveAccessibleDescription(expect.stringContaining("That code didn't match")));
    await user.click(screen.getByRole('button', { name: 'Turn on two-factor' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(10);
    expect(screen.getByRole('heading', { name: /Save your recovery codes/ })).toHaveFocus();
    expect(useAuthStore.getState().user?.twoFactorEnabled).toBe(true);

    vi.mocked(getTwoFactorStatus).mockResolvedValue({ enabled: true, pending: false, recoveryCodesRemaining: 10 });
    await user.click(screen.getByRole('button', { name: 'I have saved my codes' }));
    expect(screen.queryByRole('list', { name: 'Recovery codes' })).not.toBeInTheDocument();
    expect(await screen.findByText('10 recovery codes left.')).toBeInTheDocument();
  });

  it('shows an error with a retry when the status cannot be loaded', async () => {
    vi.mocked(getTwoFactorStatus).mockRejectedValue(problem(503, 'SERVICE_UNAVAILABLE'));
    render(<TwoFactorSection user={USER} />);
    expect(await screen.findByText('Could not load the two-factor status')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
