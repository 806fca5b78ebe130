import { Link } from 'react-router-dom';
import { useOrganizationStore } from '@/stores/organization-store';

/**
 * A message about the organization the app acts for (created, joined, left, deleted, or fallen back to the
 * personal one), shown above the page until dismissed or replaced. The live region is always present so the
 * message is announced when it appears.
 */
export function OrganizationNotice() {
  const notice = useOrganizationStore((s) => s.notice);
  const dismiss = useOrganizationStore((s) => s.dismissNotice);
  return (
    <div role="status" data-testid="organization-notice">
      {notice && (
        <div className={`banner banner--${notice.tone}`}>
          <div className="container banner__inner">
            <p className="banner__text">
              {notice.text}
              {notice.link && (
                <>
                  {' '}
                  <Link to={notice.link.to} onClick={dismiss}>
                    {notice.link.label}
                  </Link>
                </>
              )}
            </p>
            <div className="banner__actions">
              <button type="button" className="btn btn--secondary btn--sm" onClick={dismiss}>
                Dismiss
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
