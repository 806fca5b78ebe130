import { render, screen } from '@testing-library/react';
import { lazy, Suspense, useRef } from 'react';
import { Link, MemoryRouter, Outlet, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useScrollOnNavigate } from './use-scroll-on-navigate';

function Layout() {
  const mainRef = useRef<HTMLElement>(null);
  useScrollOnNavigate(mainRef);
  return (
    <main ref={mainRef} tabIndex={-1}>
      <Suspense fallback={<p>Loading…</p>}>
        <Outlet />
      </Suspense>
    </main>
  );
}

describe('useScrollOnNavigate', () => {
  const scrolled: Element[] = [];
  beforeEach(() => {
    scrolled.length = 0;
    // jsdom does not implement scrolling.
    Element.prototype.scrollIntoView = vi.fn(function (this: Element) {
      scrolled.push(this);
    });
  });
  afterEach(() => {
    delete (Element.prototype as Partial<Element>).scrollIntoView;
  });

  it('scrolls to the #fragment once a lazy route has rendered it', async () => {
    let resolve: (m: { default: () => JSX.Element }) => void = () => {};
    const Page = lazy(() => new Promise<{ default: () => JSX.Element }>((r) => (resolve = r)));
    render(
      <MemoryRouter initialEntries={['/docs/problems#RATE_LIMITED']}>
        <Routes>
          <Route element={<Layout />}>
            <Route path="docs/problems" element={<Page />} />
          </Route>
        </Routes>
      </MemoryRouter>,
    );
    expect(screen.getByText('Loading…')).toBeInTheDocument();
    expect(scrolled).toHaveLength(0);

    resolve({
      default: () => (
        <div>
          <p id="NOT_FOUND">Not found</p>
          <p id="RATE_LIMITED" tabIndex={-1}>
            Too many requests
          </p>
        </div>
      ),
    });
    const target = await screen.findByText('Too many requests');
    await vi.waitFor(() => expect(scrolled).toEqual([target]));
    expect(target).toHaveFocus();
  });
});

describe('useScrollOnNavigate with keepFocus', () => {
  it('moves focus to main on a navigation, but not on one whose state says keepFocus', async () => {
    vi.spyOn(window, 'scrollTo').mockImplementation(() => undefined);
    render(
      <MemoryRouter initialEntries={['/a']}>
        <Routes>
          <Route element={<Layout />}>
            <Route
              path="*"
              element={
                <>
                  <Link to="/b">Plain</Link>
                  <Link to="/c" state={{ keepFocus: true }}>
                    Keep
                  </Link>
                </>
              }
            />
          </Route>
        </Routes>
      </MemoryRouter>,
    );
    const keep = screen.getByRole('link', { name: 'Keep' });
    keep.focus();
    keep.click();
    await vi.waitFor(() => expect(screen.getByRole('link', { name: 'Keep' })).toHaveFocus());
    screen.getByRole('link', { name: 'Plain' }).click();
    await vi.waitFor(() => expect(screen.getByRole('main')).toHaveFocus());
  });
});
