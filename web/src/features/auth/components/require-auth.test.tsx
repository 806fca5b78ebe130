import { act, render, screen } from '@testing-library/react';
import { Route, Routes, useLocation } from 'react-router-dom';
import { beforeEach, describe, expect, it } from 'vitest';
import { useAuthStore } from '@/stores/auth-store';
import { TestRouter } from '@/testing/router';
import { resetAuth, signInAs } from '@/testing/fixtures';
import { RequireAuth } from './require-auth';

function Login() {
  const location = useLocation();
  return <p data-testid="login">{location.pathname + location.search}</p>;
}

function renderAt(url: string) {
  return render(
    <TestRouter url={url}>
      <Routes>
        <Route path="/login" element={<Login />} />
        <Route
          path="/account"
          element={
            <RequireAuth>
              <p>Secret settings</p>
            </RequireAuth>
          }
        />
      </Routes>
    </TestRouter>,
  );
}

describe('RequireAuth', () => {
  beforeEach(() => resetAuth('unknown'));

  it('waits for the start-up session check, then shows the page', () => {
    renderAt('/account');
    expect(screen.getByRole('status')).toHaveTextContent('Restoring your session');
    act(() => signInAs());
    expect(screen.getByText('Secret settings')).toBeInTheDocument();
  });

  it('sends an anonymous visitor to sign in, remembering the page', () => {
    resetAuth('anonymous');
    renderAt('/account?x=1#sessions');
    expect(screen.getByTestId('login')).toHaveTextContent('/login?next=%2Faccount%3Fx%3D1%23sessions');
  });

  it('redirects when the session expires while the page is open', () => {
    signInAs();
    renderAt('/account');
    act(() => useAuthStore.getState().signedOut('expired'));
    expect(screen.getByTestId('login')).toHaveTextContent('/login?next=%2Faccount');
  });

  it('does not remember the page after an explicit sign-out', () => {
    signInAs();
    renderAt('/account');
    act(() => useAuthStore.getState().signedOut('signed-out'));
    expect(screen.getByTestId('login').textContent).toBe('/login');
  });
});
