import { Link } from 'react-router-dom';
import { Cell } from '@/components/table-cell';
import { formatMs, formatNumber, formatPercent } from '@/lib/format';
import type { AdminAnalytics } from '@/types';

function ErrorCount({ errors, requests }: { errors: number; requests: number }) {
  return (
    <>
      {formatNumber(errors)}
      {requests > 0 && errors > 0 && <span className="muted"> ({formatPercent(errors / requests)})</span>}
    </>
  );
}

/** The ten organizations with the most API requests in the range; each links to its admin details. */
export function TopOrganizationsTable({ rows }: { rows: AdminAnalytics['topOrganizations'] }) {
  return (
    <section className="usage-block" aria-labelledby="top-orgs-title">
      <h2 id="top-orgs-title" className="usage-block__title">
        Top organizations
      </h2>
      {rows.length === 0 ? (
        <p className="muted">No organization called the API in this range.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack admin-table" data-testid="top-organizations">
            <caption className="sr-only">Organizations with the most API requests in this range, busiest first</caption>
            <thead>
              <tr>
                <th scope="col">Organization</th>
                <th scope="col" className="num">
                  Requests
                </th>
                <th scope="col" className="num">
                  Errors
                </th>
                <th scope="col" className="num">
                  Units
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((o) => (
                <tr key={o.id} data-testid="top-organization">
                  <th scope="row">
                    <Link to={`/admin/organizations/${encodeURIComponent(o.id)}`} className="admin-table__name">
                      {o.name}
                    </Link>
                  </th>
                  <Cell label="Requests" num>
                    {formatNumber(o.requests)}
                  </Cell>
                  <Cell label="Errors" num>
                    <ErrorCount errors={o.errors} requests={o.requests} />
                  </Cell>
                  <Cell label="Units" num>
                    {formatNumber(o.costUnits)}
                  </Cell>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The ten endpoints (method and catalog pattern) with the most requests in the range. */
export function TopEndpointsTable({ rows }: { rows: AdminAnalytics['topEndpoints'] }) {
  return (
    <section className="usage-block" aria-labelledby="top-endpoints-title">
      <h2 id="top-endpoints-title" className="usage-block__title">
        Top endpoints
      </h2>
      {rows.length === 0 ? (
        <p className="muted">No endpoint was called in this range.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack admin-table usage-table" data-testid="top-endpoints">
            <caption className="sr-only">Endpoints with the most requests in this range, busiest first</caption>
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
                  Avg latency
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={`${e.method} ${e.endpoint}`} data-testid="top-endpoint">
                  <th scope="row" className="usage-table__endpoint">
                    <span className={`method method--${e.method.toLowerCase()}`}>{e.method || '—'}</span> <code>{e.endpoint || '(none)'}</code>
                  </th>
                  <Cell label="Requests" num>
                    {formatNumber(e.requests)}
                  </Cell>
                  <Cell label="Errors" num>
                    <ErrorCount errors={e.errors} requests={e.requests} />
                  </Cell>
                  <Cell label="Avg latency" num>
                    {formatMs(e.avgLatencyMs)}
                  </Cell>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
