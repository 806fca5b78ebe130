import { useId, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { env } from '@/config/env';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useOpenApi } from '../hooks/use-openapi';
import { filterGroups, groupOperations } from '../lib/openapi';
import { InlineMarkdown } from './inline-markdown';
import { OperationCard } from './operation-card';

export function ApiReferencePage() {
  useDocumentTitle('API reference');
  const { data: doc, error, isLoading, refresh } = useOpenApi();
  const [query, setQuery] = useState('');
  const filterId = useId();

  const groups = useMemo(() => (doc ? groupOperations(doc) : []), [doc]);
  const visible = useMemo(() => filterGroups(groups, query), [groups, query]);
  const total = groups.reduce((n, g) => n + g.operations.length, 0);
  const shown = visible.reduce((n, g) => n + g.operations.length, 0);

  return (
    <div className="page">
      <PageHeader
        title="API reference"
        description={
          doc ? (
            <>
              {doc.info.title} <span className="badge badge--neutral">v{doc.info.version}</span> · OpenAPI {doc.openapi} ·{' '}
              <a href={`${env.apiBaseUrl}/api/openapi.json`}>Download JSON</a>
            </>
          ) : (
            'Every endpoint of this server, generated from its OpenAPI contract.'
          )
        }
        actions={
          <Link to="/docs/problems" className="btn btn--secondary btn--sm">
            Error reference
          </Link>
        }
      />

      {isLoading && <LoadingBlock label="Loading the API contract…" />}
      {!doc && error && <ErrorState error={error} title="Couldn't load the API contract" onRetry={refresh} />}

      {doc && (
        <>
          {doc.info.description && (
            <div className="lede">
              <InlineMarkdown text={doc.info.description} />
            </div>
          )}
          <div className="filter">
            <label htmlFor={filterId} className="sr-only">
              Filter operations
            </label>
            <svg className="filter__icon" viewBox="0 0 20 20" aria-hidden="true">
              <circle cx="9" cy="9" r="6" fill="none" stroke="currentColor" strokeWidth="1.75" />
              <path d="M14 14l4 4" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" />
            </svg>
            <input
              id={filterId}
              className="input filter__input"
              type="search"
              placeholder="Filter by path, method, tag or summary"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
            <span className="filter__count muted small" aria-live="polite">
              {query ? `${shown} of ${total}` : `${total}`} operation{(query ? shown : total) === 1 ? '' : 's'}
            </span>
          </div>

          {total === 0 && <EmptyState title="No operations">This contract does not define any paths yet.</EmptyState>}
          {total > 0 && visible.length === 0 && (
            <EmptyState title="No matching operations">
              Nothing matches “{query}”.{' '}
              <button type="button" className="link-button" onClick={() => setQuery('')}>
                Clear the filter
              </button>
            </EmptyState>
          )}

          {visible.map((group) => (
            <section key={group.name} className="tag-group" aria-labelledby={`tag-${group.name}`}>
              <div className="tag-group__head">
                <h2 id={`tag-${group.name}`} className="tag-group__title">
                  {group.name}
                </h2>
                <InlineMarkdown text={group.description} className="tag-group__desc" />
              </div>
              <div className="ops">
                {group.operations.map((operation) => (
                  <OperationCard key={operation.key} doc={doc} operation={operation} />
                ))}
              </div>
            </section>
          ))}
        </>
      )}
    </div>
  );
}
