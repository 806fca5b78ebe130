import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router-dom';

/** MemoryRouter with the same future flags as the app's BrowserRouter. */
export function TestRouter({ url, children }: { url: string; children: ReactNode }) {
  return (
    <MemoryRouter initialEntries={[url]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      {children}
    </MemoryRouter>
  );
}
