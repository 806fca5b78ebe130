import { Link, useLocation } from 'react-router-dom';
import { useDocumentTitle } from '@/hooks/use-document-title';

export function NotFoundPage() {
  useDocumentTitle('Page not found');
  const { pathname } = useLocation();
  return (
    <div className="not-found">
      <p className="not-found__code" aria-hidden="true">
        404
      </p>
      <h1 className="not-found__title">Page not found</h1>
      <p className="not-found__text">
        There is no page at <code>{pathname}</code>. It may have moved, or the link may be mistyped.
      </p>
      <div className="hero__actions">
        <Link to="/" className="btn btn--primary">
          Back to home
        </Link>
        <Link to="/docs/api" className="btn btn--secondary">
          API reference
        </Link>
      </div>
    </div>
  );
}
