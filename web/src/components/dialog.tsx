import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { createPortal } from 'react-dom';

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

/** Open dialogs, innermost last: only the top one handles Escape and Tab (a confirmation over a drawer). */
const openDialogs: string[] = [];

function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => !el.closest('[hidden]'));
}

interface DialogProps {
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  /**
   * Escape and the close button call this. Omit it for a step the user must finish with an explicit button
   * (e.g. a secret shown once): then there is no close button and Escape does nothing.
   */
  onClose?: () => void;
  /** Receives focus when the dialog opens; default: the first field, else the title. */
  initialFocusRef?: RefObject<HTMLElement>;
  /** Where focus goes when the dialog closes, if the element that opened it is gone. */
  returnFocusRef?: RefObject<HTMLElement>;
  tone?: 'default' | 'danger';
  /** Changing this moves focus again as if the dialog had just opened (e.g. a new step). */
  stepKey?: string;
  /** A wider panel for long forms. */
  wide?: boolean;
  /** A tall panel at the side of the screen (full screen on phones), e.g. a record's details. */
  drawer?: boolean;
}

/**
 * A modal dialog: rendered in a portal, `role="dialog"` + `aria-modal`, labelled by its title, focus moved in on
 * open, kept inside with Tab / Shift+Tab, and returned to the opener on close. Page scrolling is locked while open.
 * Render it conditionally: mounting opens it, unmounting closes it.
 */
export function Dialog({
  title,
  description,
  children,
  onClose,
  initialFocusRef,
  returnFocusRef,
  tone = 'default',
  stepKey,
  wide = false,
  drawer = false,
}: DialogProps) {
  const id = useId();
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const panelRef = useRef<HTMLDivElement>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  // Remember the opener (at the first render: StrictMode's second effect run would see the dialog's own field);
  // give focus back on close.
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));
  useEffect(() => {
    const fallback = returnFocusRef;
    openDialogs.push(id);
    document.body.classList.add('has-dialog');
    return () => {
      const index = openDialogs.lastIndexOf(id);
      if (index >= 0) openDialogs.splice(index, 1);
      if (openDialogs.length === 0) document.body.classList.remove('has-dialog');
      // After the portal is gone. Unless the page already moved focus somewhere on purpose, go back to the
      // opener, or (when it is gone too) the fallback or the page's main region.
      window.setTimeout(() => {
        const active = document.activeElement;
        if (active && active !== document.body) return;
        const target = opener && opener.isConnected && opener !== document.body ? opener : (fallback?.current ?? document.getElementById('main'));
        target?.focus();
      }, 0);
    };
  }, [id, opener, returnFocusRef]);

  useEffect(() => {
    const panel = panelRef.current;
    if (!panel) return;
    const preferred = initialFocusRef?.current;
    const firstField = panel.querySelector<HTMLElement>('.dialog__body input, .dialog__body select, .dialog__body textarea');
    (preferred ?? firstField ?? titleRef.current)?.focus();
    // Focus only on open and on a new step.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stepKey]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const panel = panelRef.current;
      if (!panel) return;
      // A dialog opened over this one handles the keys.
      if (openDialogs[openDialogs.length - 1] !== id) return;
      if (e.key === 'Escape') {
        if (onCloseRef.current) {
          e.stopPropagation();
          onCloseRef.current();
        }
        return;
      }
      if (e.key !== 'Tab') return;
      const items = focusables(panel);
      if (items.length === 0) {
        e.preventDefault();
        titleRef.current?.focus();
        return;
      }
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      if (e.shiftKey && (active === first || !panel.contains(active))) {
        e.preventDefault();
        last?.focus();
      } else if (!e.shiftKey && (active === last || !panel.contains(active))) {
        e.preventDefault();
        first?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [id]);

  return createPortal(
    <div className={`dialog-backdrop${drawer ? ' dialog-backdrop--drawer' : ''}`}>
      <div
        ref={panelRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descId : undefined}
        className={`dialog card${tone === 'danger' ? ' dialog--danger' : ''}${wide ? ' dialog--wide' : ''}${drawer ? ' dialog--drawer' : ''}`}
      >
        <header className="dialog__head">
          <h2 id={titleId} ref={titleRef} tabIndex={-1} className="dialog__title">
            {title}
          </h2>
          {onClose && (
            <button type="button" className="dialog__close" onClick={onClose} aria-label="Close">
              <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
              </svg>
            </button>
          )}
        </header>
        {description && (
          <div id={descId} className="dialog__desc">
            {description}
          </div>
        )}
        <div className="dialog__body">{children}</div>
      </div>
    </div>,
    document.body,
  );
}
