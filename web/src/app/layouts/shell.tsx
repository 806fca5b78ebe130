import { Suspense, useEffect, useRef, type ReactNode } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router-dom';
import { ErrorBoundary } from '@/components/error-boundary';
import { ImpersonationBanner, ImpersonationEndedNotice } from '@/components/impersonation-banner';
import { Logo } from '@/components/logo';
import { LoadingBlock } from '@/components/spinner';
import { reportClientError } from '@/features/client-errors/api/report-client-error';
import { useVersion } from '@/features/meta/hooks/use-version';
import { useScrollOnNavigate } from '@/hooks/use-scroll-on-navigate';
import { useUiStore } from '@/stores/ui-store';

export interface NavItem {
  to: string;
  label: string;
  end?: boolean;
}

function Footer() {
  const { data } = useVersion();
  return (
    <footer className="footer">
      <div className="container footer__inner">
        <span>Tollgate · open source under Apache-2.0</span>
        {data && (
          <span className="muted" data-testid="server-version">
            Server {data.version} · {data.environment}
          </span>
        )}
      </div>
    </footer>
  );
}

interface ShellProps {
  nav: readonly NavItem[];
  /** Extra entries at the end of the navigation list (each wrapped in an `li`), e.g. a sign-out button. */
  navExtra?: ReactNode;
  /** Shown between the header and the page, e.g. an account-wide notice. */
  banner?: ReactNode;
  /** Shown in the header next to the brand, also on phones (e.g. the organization switcher). */
  headerExtra?: ReactNode;
  /** Shown at the end of the header, also on phones, after the menu (e.g. the notifications bell). */
  headerEnd?: ReactNode;
  /**
   * A new value remounts the routed page, so everything it shows is fetched again (e.g. the active organization's
   * id: keys, usage and billing then show the new organization's data).
   */
  contentKey?: string;
}

/**
 * The page frame shared by the public site and the dashboard: skip link, header and menu, focus handling, footer.
 * During a view as customer its banner sticks above the header on every page.
 */
export function Shell({ nav, navExtra, banner, headerExtra, headerEnd, contentKey }: ShellProps) {
  const location = useLocation();
  const navOpen = useUiStore((s) => s.navOpen);
  const setNavOpen = useUiStore((s) => s.setNavOpen);
  const toggleNav = useUiStore((s) => s.toggleNav);
  const mainRef = useRef<HTMLElement>(null);

  // After client-side navigation, move focus to the new content so screen readers announce it,
  // or scroll to the #fragment once the (lazy) page has rendered it.
  useScrollOnNavigate(mainRef);

  useEffect(() => {
    setNavOpen(false);
  }, [location.pathname, setNavOpen]);

  useEffect(() => {
    if (!navOpen) return undefined;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setNavOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navOpen, setNavOpen]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell__top">
        <ImpersonationBanner />
        <header className={`header${headerExtra ? ' header--extra' : ''}`}>
          <div className="container header__inner">
            <Link to="/" className="brand" aria-label="Tollgate home">
              <Logo />
              <span className="brand__name">Tollgate</span>
            </Link>
            {headerExtra}
            <button
              type="button"
              className="nav-toggle"
              aria-expanded={navOpen}
              aria-controls="primary-nav"
              onClick={toggleNav}
            >
              <span className="sr-only">{navOpen ? 'Close menu' : 'Open menu'}</span>
              <svg viewBox="0 0 24 24" aria-hidden="true">
                {navOpen ? (
                  <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
                ) : (
                  <path d="M4 7h16M4 12h16M4 17h16" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
                )}
              </svg>
            </button>
            <nav id="primary-nav" className={`nav ${navOpen ? 'nav--open' : ''}`} aria-label="Main">
              <ul className="nav__list">
                {nav.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to} end={item.end} className={({ isActive }) => `nav__link${isActive ? ' is-active' : ''}`}>
                      {item.label}
                    </NavLink>
                  </li>
                ))}
                {navExtra}
              </ul>
            </nav>
            {headerEnd}
          </div>
        </header>
      </div>
      <ImpersonationEndedNotice />
      {banner}
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        <div className="container">
          <ErrorBoundary
            key={contentKey}
            resetKey={location.pathname}
            onError={(error, info) => void reportClientError(error, info.componentStack ?? undefined)}
          >
            <Suspense fallback={<LoadingBlock />}>
              <Outlet />
            </Suspense>
          </ErrorBoundary>
        </div>
      </main>
      <Footer />
    </div>
  );
}
