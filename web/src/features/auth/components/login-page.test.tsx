import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes, useLocation } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '@/stores/auth-store';
import { TestRouter } from '@/testing/router';
import type * as SignInApi from '../api/sign-in';
import { authResult, problem, resetAuth } from '@/testing/fixtures';
import { login, verifyTwoFactor } from '../api/sign-in';
import { LoginPage } from './login-page';

vi.mock('../api/sign-in', async (importOriginal) => {
  const original = await importOriginal<typeof SignInApi>();
  return { ...original, login: vi.fn(), verifyTwoFactor: vi.fn() };
});

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

function renderLogin(url = '/login?next=%2Faccount%23sessions') {
  return render(
    <TestRouter url={url}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="*" element={<Where />} />
      </Routes>
    </TestRouter>,
  );
}

describe('LoginPage', () => {
  beforeEach(() => resetAuth());

  it('checks the fields before calling the server and focuses the first invalid one', async () => {
    const user = userEvent.setup();
    renderLogin();
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const email = screen.getByLabelText('Email');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription('Enter your email address.');
    expect(email).toHaveFocus();
    expect(login).not.toHaveBeenCalled();
  });

  it('shows a wrong password as a form error and keeps the user on the page', async () => {
    vi.mocked(login).mockRejectedValue(problem(401, 'INVALID_CREDENTIALS'));
    const user = userEvent.setup();
    renderLogin();
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByText('The email address or password is incorrect.');
    expect(alert.closest('[role="alert"]')).toHaveFocus();
    expect(useAuthStore.getState().status).toBe('anonymous');
  });

  it('asks for the second factor, then signs in and returns to the remembered page', async () => {
    vi.mocked(login).mockResolvedValue({ mfaRequired: true, mfaToken: 'mfa-1', expiresIn: 300 });
    vi.mocked(verifyTwoFactor).mockRejectedValueOnce(problem(401, 'INVALID_MFA_CODE')).mockResolvedValueOnce(authResult());
    const user = userEvent.setup();
    renderLogin();
    await user.type(screen.getByLabelText('Email'), ' ada@example.com ');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(login).toHaveBeenCalledWith({ email: 'ada@example.com', password: 'correct horse battery' });

    const code = await screen.findByLabelText('Authentication code');
    expect(code).toHaveFocus();
    await user.type(code, '123 456');
    await user.click(screen.getByRole('button', { name: 'Verify and sign in' }));
    await waitFor(() => expect(code).toHaveAttribute('aria-invalid', 'true'));
    expect(code).toHaveAccessibleDescription(expect.stringContaining("That code didn't work"));
    expect(verifyTwoFactor).toHaveBeenLastCalledWith('mfa-1', '123456');

    await user.clear(code);
    await user.type(code, 'ABCDE-FGHJK');
    await user.click(screen.getByRole('button', { name: 'Verify and sign in' }));
    expect(verifyTwoFactor).toHaveBeenLastCalledWith('mfa-1', 'abcde-fghjk');
    expect(await screen.findByTestId('where')).toHaveTextContent('/account');
    expect(useAuthStore.getState()).toMatchObject({ status: 'authenticated', accessToken: 'access' });
  });

  it('goes back to the password step when the challenge expired', async () => {
    vi.mocked(login).mockResolvedValue({ mfaRequired: true, mfaToken: 'mfa-1', expiresIn: 300 });
    vi.mocked(verifyTwoFactor).mockRejectedValue(problem(401, 'INVALID_MFA_TOKEN'));
    const user = userEvent.setup();
    renderLogin('/login');
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await user.type(await screen.findByLabelText('Authentication code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Verify and sign in' }));
    expect(await screen.findByText(/This sign-in attempt expired/)).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
    expect(screen.getByLabelText('Password')).toHaveFocus();
  });
});
