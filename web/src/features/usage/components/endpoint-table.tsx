import { formatMs, formatNumber, formatPercent } from '@/lib/format';
import type { UsageEndpointRow } from '@/types';
import { Cell } from './cell';

export function EndpointTable({
  rows,
  onShowEvents,
}: {
  rows: UsageEndpointRow[];
  /** Filters the events table to one endpoint. */
  onShowEvents: (endpoint: string) => void;
}) {
  return (
    <section className="usage-block" aria-labelledby="by-endpoint-title">
      <h2 id="by-endpoint-title" className="usage-block__title">
        By endpoint
      </h2>
      {rows.length === 0 ? (
        <p className="muted">No endpoint was recorded in this range.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack usage-table" data-testid="by-endpoint">
            <caption className="sr-only">Requests per endpoint, busiest first</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col" className="num">
                  Requests
                </th>
                <th scope="col" className="num">
                  Errors
                </th>
                <th scope="col" className="num">
                  Units
                </th>
                <th scope="col" className="num">
                  p50
                </th>
                <th scope="col" className="num">
                  p95
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.method} ${r.endpoint}`}>
                  <th scope="row" className="usage-table__endpoint">
                    <span className={`method method--${r.method.toLowerCase()}`}>{r.method || '—'}</span>{' '}
                    <code>{r.endpoint || '(none)'}</code>
                  </th>
                  <Cell label="Requests" num>
                    {formatNumber(r.requests)}
                  </Cell>
                  <Cell label="Errors" num>
                    {formatNumber(r.errors)}
                    {r.requests > 0 && r.errors > 0 && <span className="muted"> ({formatPercent(r.errors / r.requests)})</span>}
                  </Cell>
                  <Cell label="Units" num>
                    {formatNumber(r.costUnits)}
                  </Cell>
                  <Cell label="p50" num>
                    {formatMs(r.latencyP50Ms)}
                  </Cell>
                  <Cell label="p95" num>
                    {formatMs(r.latencyP95Ms)}
                  </Cell>
                  <td className="usage-table__action">
                    {r.endpoint && (
                      <button type="button" className="link-button small" onClick={() => onShowEvents(r.endpoint)}>
                        Events<span className="sr-only"> for {r.endpoint}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
