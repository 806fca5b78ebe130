import { useEffect, useId, useRef, useState, type FocusEvent, type KeyboardEvent } from 'react';
import { Link } from 'react-router-dom';
import { RelativeTime } from '@/components/relative-time';
import { errorMessage } from '@/lib/errors';
import { formatNumber } from '@/lib/format';
import { useCurrentUser, useIsImpersonating } from '@/stores/auth-store';
import { useOrganizationStore } from '@/stores/organization-store';
import type { Notification, Organization } from '@/types';
import { useNotifications } from '../hooks/use-notifications';
import { bellCount, bellLabel, describeNotification, type NotificationView } from '../lib/notification-text';

type OrganizationRef = Pick<Organization, 'id' | 'name' | 'personal'>;

function BellIcon() {
  return (
    <svg className="bell__icon" viewBox="0 0 24 24" aria-hidden="true">
      <path
        d="M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15L6 16zM10 20a2 2 0 0 0 4 0"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

function ItemBody({ notification, view, organization }: { notification: Notification; view: NotificationView; organization: string | undefined }) {
  return (
    <>
      <span className="bell__dot" aria-hidden="true" />
      <span className="bell__content">
        <span className="bell__text">
          {!notification.read && <span className="sr-only">Unread: </span>}
          {view.text}
        </span>
        <span className="bell__meta">
          {organization && (
            <>
              {organization}
              <span aria-hidden="true"> · </span>
              <span className="sr-only">, </span>
            </>
          )}
          <RelativeTime iso={notification.createdAt} />
        </span>
        {view.hint && <span className="bell__hint">{view.hint}</span>}
      </span>
    </>
  );
}

/**
 * The header's notifications bell: the unread count in the button's name ("Notifications, 3 unread") and a panel
 * of notifications, newest first. Opening one marks it read (not during a view as customer, which is read-only)
 * and goes to its page, switching to its organization first when it is about another one. Escape, a click outside
 * or Tab past the end closes the panel; Escape gives focus back to the bell.
 */
export function NotificationBell({ organizations }: { organizations?: readonly OrganizationRef[] | undefined }) {
  const userId = useCurrentUser()?.id ?? null;
  const readOnly = useIsImpersonating();
  const activeId = useOrganizationStore((s) => s.activeId);
  const select = useOrganizationStore((s) => s.select);
  const data = useNotifications(userId);
  const { unread, loaded, refresh } = data;
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const previousUnread = useRef<number | null>(null);
  const id = useId();
  const panelId = `${id}-panel`;
  const headingId = `${id}-title`;

  // New unread notifications arriving by polling are announced once, politely.
  useEffect(() => {
    if (!loaded) return;
    const before = previousUnread.current;
    previousUnread.current = unread;
    if (before !== null && unread > before) setAnnouncement(`${formatNumber(unread)} unread notification${unread === 1 ? '' : 's'}.`);
  }, [unread, loaded]);

  useEffect(() => {
    if (!open) return undefined;
    headingRef.current?.focus();
    const onPointer = (e: MouseEvent) => {
      if (rootRef.current && e.target instanceof Node && !rootRef.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener('mousedown', onPointer);
    return () => document.removeEventListener('mousedown', onPointer);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };

  const toggle = () => {
    if (open) {
      close(false);
      return;
    }
    setMessage('');
    setOpen(true);
    void refresh();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    }
  };

  // Focus moved somewhere else on the page (Tab past the end, or a click on another control): close behind it.
  const onBlur = (e: FocusEvent<HTMLDivElement>) => {
    const next = e.relatedTarget;
    if (open && next instanceof Node && !e.currentTarget.contains(next)) setOpen(false);
  };

  const organizationOf = (n: Notification, view: NotificationView): OrganizationRef | undefined =>
    view.organizationScoped && n.organizationId ? organizations?.find((o) => o.id === n.organizationId) : undefined;

  const openNotification = (n: Notification, view: NotificationView) => {
    if (!readOnly && !n.read) void data.markRead(n.id);
    if (!view.to) return;
    const org = organizationOf(n, view);
    if (org) {
      const target = org.personal ? null : org.id;
      if (target !== activeId) {
        select(target, { tone: 'info', text: `Switched to ${org.personal ? 'your personal organization' : `“${org.name}”`} to show this notification.` });
      }
    }
    setOpen(false);
  };

  const markAll = async () => {
    setMessage('');
    const marked = await data.markAllRead();
    if (marked !== null) setMessage(marked === 1 ? 'Marked 1 notification read.' : `Marked ${formatNumber(marked)} notifications read.`);
  };

  let body;
  if (!loaded) {
    body = (
      <p className="bell__state muted">
        <span className="spinner spinner--inline" aria-hidden="true" /> Loading notifications…
      </p>
    );
  } else if (data.error && data.items.length === 0) {
    body = (
      <div className="bell__state" role="alert">
        <p>Could not load your notifications. {errorMessage(data.error)}</p>
        <button type="button" className="btn btn--secondary btn--sm" onClick={() => void refresh()}>
          Try again
        </button>
      </div>
    );
  } else if (data.items.length === 0) {
    body = (
      <div className="bell__state">
        <p className="bell__empty-title">No notifications yet</p>
        <p className="muted small">Quota warnings, payments, expiring keys, invitations and new sign-ins show up here.</p>
      </div>
    );
  } else {
    body = (
      <>
        {data.error && <p className="bell__note small">Could not check for new notifications; showing the last ones loaded.</p>}
        <ul className="bell__list">
          {data.items.map((n) => {
            const view = describeNotification(n);
            const org = organizationOf(n, view);
            const orgName = org && !org.personal ? org.name : undefined;
            const className = `bell__item${n.read ? '' : ' is-unread'}`;
            return (
              <li key={n.id} className="bell__entry" data-testid="notification" data-kind={n.kind}>
                {view.to ? (
                  <Link to={view.to} className={className} onClick={() => openNotification(n, view)}>
                    <ItemBody notification={n} view={view} organization={orgName} />
                  </Link>
                ) : (
                  <button type="button" className={className} onClick={() => openNotification(n, view)}>
                    <ItemBody notification={n} view={view} organization={orgName} />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
        {data.nextCursor && (
          <div className="bell__more">
            {data.moreError && (
              <p className="field__error" role="alert">
                Could not load more. {errorMessage(data.moreError)}
              </p>
            )}
            <button
              type="button"
              className={`btn btn--secondary btn--sm btn--block${data.loadingMore ? ' is-pending' : ''}`}
              onClick={() => void data.loadMore()}
              aria-disabled={data.loadingMore || undefined}
            >
              {data.loadingMore ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </>
    );
  }

  return (
    <div className="bell" ref={rootRef} onKeyDown={onKeyDown} onBlur={onBlur}>
      <button
        ref={buttonRef}
        type="button"
        className="bell__button"
        aria-label={bellLabel(unread)}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={toggle}
        data-testid="notification-bell"
      >
        <BellIcon />
        {unread > 0 && (
          <span className="bell__count" aria-hidden="true">
            {bellCount(unread)}
          </span>
        )}
      </button>
      <span className="sr-only" role="status">
        {open ? '' : announcement}
      </span>
      {open && (
        <section id={panelId} className="bell__panel card" aria-labelledby={headingId}>
          <header className="bell__head">
            <h2 id={headingId} ref={headingRef} tabIndex={-1} className="bell__title">
              Notifications
            </h2>
            {!readOnly && unread > 0 && (
              <button type="button" className="link-button bell__all" onClick={() => void markAll()}>
                Mark all read
              </button>
            )}
          </header>
          {readOnly && <p className="bell__note small">Read-only view: opening a notification does not mark it read.</p>}
          <div role="status" className={data.actionError ? 'inline-message inline-message--error bell__message' : 'bell__message'}>
            {data.actionError ? `Could not mark it read. ${errorMessage(data.actionError)}` : message}
          </div>
          {body}
        </section>
      )}
    </div>
  );
}
