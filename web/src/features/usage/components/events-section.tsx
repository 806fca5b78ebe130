import { useId } from 'react';
import { Badge, type Tone } from '@/components/badge';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import { errorMessage } from '@/lib/errors';
import { formatDateTime, formatMs, formatNumber, formatRelative } from '@/lib/format';
import type { ApiKey, UsageEvent } from '@/types';
import type { EventFilter } from '../api/usage';
import { useUsageEvents } from '../hooks/use-usage-events';
import { Cell } from './cell';

export type StatusClass = NonNullable<EventFilter['statusClass']>;
const CLASSES: StatusClass[] = ['2xx', '3xx', '4xx', '5xx'];

function statusTone(status: number): Tone {
  if (status >= 500) return 'danger';
  if (status >= 400) return 'warning';
  if (status >= 300) return 'info';
  return 'success';
}

function keyLabel(event: UsageEvent, keys: Map<string, ApiKey>): string {
  const key = keys.get(event.keyId);
  return key ? key.name : `${event.keyId.slice(0, 8)}…`;
}

function EventRow({ event, keys }: { event: UsageEvent; keys: Map<string, ApiKey> }) {
  const key = keys.get(event.keyId);
  return (
    <tr data-testid="usage-event">
      <th scope="row" className="usage-table__time">
        <time dateTime={event.occurredAt} title={formatDateTime(event.occurredAt)}>
          {formatRelative(event.occurredAt)}
        </time>
      </th>
      <Cell label="Key">
        <span title={key ? key.prefix : event.keyId}>{keyLabel(event, keys)}</span>
      </Cell>
      <Cell label="Request" className="usage-table__endpoint">
        <span className={`method method--${event.method.toLowerCase()}`}>{event.method || '—'}</span>{' '}
        <code>{event.endpoint || '(none)'}</code>
      </Cell>
      <Cell label="Status">
        <Badge tone={statusTone(event.statusCode)}>{event.statusCode}</Badge>
        {event.code && event.code !== 'VALID' && <span className="usage-event__code"> {event.code}</span>}
      </Cell>
      <Cell label="Units" num>
        {formatNumber(event.cost)}
      </Cell>
      <Cell label="Latency" num>
        {formatMs(event.latencyMs)}
      </Cell>
      <Cell label="Request ID" className="usage-table__reqid">
        {event.requestId ? <code>{event.requestId}</code> : <span className="muted">—</span>}
      </Cell>
    </tr>
  );
}

export function EventsSection({
  filter,
  keys,
  reloadToken,
  onStatusClass,
  onClearEndpoint,
}: {
  filter: EventFilter;
  keys: Map<string, ApiKey>;
  /** A new value reloads the first page (the page's Refresh). */
  reloadToken?: number;
  onStatusClass: (value: StatusClass | undefined) => void;
  onClearEndpoint: () => void;
}) {
  const events = useUsageEvents(filter, reloadToken);
  const statusId = useId();

  let body;
  if (events.isLoading) body = <LoadingBlock label="Loading events…" />;
  else if (events.error && events.items.length === 0)
    body = <ErrorState error={events.error} title="Could not load the events" onRetry={events.refresh} />;
  else if (events.items.length === 0)
    body = <p className="muted usage-events__none">No events match these filters in this range.</p>;
  else
    body = (
      <>
        <div className="table-wrap">
          <table className="table table--stack usage-table" data-testid="usage-events">
            <caption className="sr-only">Usage events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Key</th>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Units
                </th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col">Request ID</th>
              </tr>
            </thead>
            <tbody>
              {events.items.map((e) => (
                <EventRow key={e.id} event={e} keys={keys} />
              ))}
            </tbody>
          </table>
        </div>
        <div className="usage-events__more">
          <p className="muted small" role="status">
            {events.items.length === 1 ? 'Showing 1 event' : `Showing ${formatNumber(events.items.length)} events`}
            {events.hasMore ? '' : ' (all of them)'}.
          </p>
          {events.moreError && (
            <p className="field__error" role="alert">
              {errorMessage(events.moreError)}
            </p>
          )}
          {events.hasMore && (
            <button
              type="button"
              className="btn btn--secondary btn--sm"
              onClick={() => void events.loadMore()}
              aria-disabled={events.loadingMore || undefined}
            >
              {events.loadingMore ? 'Loading…' : 'Load more'}
            </button>
          )}
        </div>
      </>
    );

  return (
    <section className="usage-block" aria-labelledby="events-title">
      <div className="usage-block__head">
        <h2 id="events-title" className="usage-block__title">
          Events
        </h2>
        <div className="usage-events__filters">
          <label htmlFor={statusId} className="small muted">
            Status
          </label>
          <select
            id={statusId}
            className="input input--select input--inline"
            value={filter.statusClass ?? ''}
            onChange={(e) => onStatusClass((e.target.value || undefined) as StatusClass | undefined)}
          >
            <option value="">All</option>
            {CLASSES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          {filter.endpoint && (
            <span className="chip">
              <code>{filter.endpoint}</code>
              <button type="button" className="chip__remove" onClick={onClearEndpoint} aria-label={`Show all endpoints, not only ${filter.endpoint}`}>
                ×
              </button>
            </span>
          )}
        </div>
      </div>
      {events.isRefreshing && (
        <p className="muted small" role="status">
          Updating…
        </p>
      )}
      {body}
    </section>
  );
}
