import { render, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { TestRouter } from '@/testing/router';
import type * as SignInApi from '../api/sign-in';
import { authResult, problem, resetAuth } from '@/testing/fixtures';
import { register } from '../api/sign-in';
import { RegisterPage } from './register-page';

vi.mock('../api/sign-in', async (importOriginal) => {
  const original = await importOriginal<typeof SignInApi>();
  return { ...original, register: vi.fn() };
});

describe('RegisterPage', () => {
  beforeEach(() => resetAuth());

  it("shows the server's field errors next to their fields and focuses the first", async () => {
    vi.mocked(register).mockRejectedValue(
      problem(422, 'VALIDATION_FAILED', [
        { field: 'password', message: 'is too common; choose another' },
        { field: 'somethingElse', message: 'is odd' },
      ]),
    );
    const user = userEvent.setup();
    render(
      <TestRouter url="/register">
        <RegisterPage />
      </TestRouter>,
    );
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'password1234');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    const password = screen.getByLabelText('Password');
    await waitFor(() => expect(password).toHaveAttribute('aria-invalid', 'true'));
    expect(password).toHaveAccessibleDescription(expect.stringContaining('Is too common; choose another.'));
    expect(password).toHaveFocus();
    // A field the form does not have is still reported, at form level.
    expect(screen.getByRole('alert')).toHaveTextContent('somethingElse: is odd');
    expect(register).toHaveBeenCalledWith({ email: 'ada@example.com', password: 'password1234' });
  });

  it('keeps ?next= (e.g. an invitation link) for after the account is created, and on the sign-in link', async () => {
    vi.mocked(register).mockResolvedValue(authResult());
    const next = '/invitations/accept?token=abc';
    const user = userEvent.setup();
    render(
      <TestRouter url={`/register?next=${encodeURIComponent(next)}`}>
        <Routes>
          <Route path="/register" element={<RegisterPage />} />
          <Route path="/invitations/accept" element={<p>Invitation page</p>} />
        </Routes>
      </TestRouter>,
    );
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', `/login?next=${encodeURIComponent(next)}`);
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('Invitation page')).toBeInTheDocument();
  });
});
