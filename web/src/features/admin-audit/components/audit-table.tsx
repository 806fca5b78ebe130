import { Link } from 'react-router-dom';
import { Badge } from '@/components/badge';
import { Cell } from '@/components/table-cell';
import { formatDateTime } from '@/lib/format';
import type { AuditEntry } from '@/types';

function Target({ entry }: { entry: AuditEntry }) {
  if (!entry.targetType && !entry.targetId) return <span className="muted">—</span>;
  const id = entry.targetId ?? '';
  if (entry.targetType === 'user' && id) {
    return (
      <>
        user <Link to={`/admin/users/${encodeURIComponent(id)}`}>{id.slice(0, 8)}…</Link>
      </>
    );
  }
  if (entry.targetType === 'organization' && id) {
    return (
      <>
        organization <Link to={`/admin/organizations/${encodeURIComponent(id)}`}>{id.slice(0, 8)}…</Link>
      </>
    );
  }
  return (
    <>
      {entry.targetType} {id && <code className="small">{id.length > 24 ? `${id.slice(0, 24)}…` : id}</code>}
    </>
  );
}

function Actor({ entry }: { entry: AuditEntry }) {
  const who = entry.actorEmail ?? (entry.actorUserId ? `${entry.actorUserId.slice(0, 8)}…` : null);
  return (
    <>
      {who && entry.actorUserId ? <Link to={`/admin/users/${encodeURIComponent(entry.actorUserId)}`}>{who}</Link> : <span className="muted">{entry.actorType}</span>}
      {who && <span className="admin-table__sub small muted">{entry.actorType}</span>}
      {entry.impersonatorUserId && <span className="admin-table__sub small">as admin {entry.impersonatorUserId.slice(0, 8)}…</span>}
    </>
  );
}

function outcomeTone(outcome: AuditEntry['outcome']) {
  if (outcome === 'success') return 'success' as const;
  if (outcome === 'denied') return 'warning' as const;
  return 'danger' as const;
}

/** Audit entries, newest first; each row's details (metadata, user agent, request id) open in place. */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <div className="table-wrap">
      <table className="table table--stack admin-table" data-testid="audit-log">
        <caption className="sr-only">Audit log, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => {
            const metadata = e.metadata && Object.keys(e.metadata).length > 0 ? JSON.stringify(e.metadata, null, 2) : null;
            return (
              <tr key={e.id} data-testid="audit-entry">
                <th scope="row" className="admin-audit__time">
                  <time dateTime={e.createdAt}>{formatDateTime(e.createdAt)}</time>
                </th>
                <Cell label="Action">
                  <code>{e.action}</code>
                  <details className="admin-audit__details">
                    <summary className="small">Details</summary>
                    <dl className="admin-facts admin-facts--compact small">
                      <div>
                        <dt>Entry</dt>
                        <dd>#{e.id}</dd>
                      </div>
                      {e.organizationId && (
                        <div>
                          <dt>Organization</dt>
                          <dd>
                            <Link to={`/admin/organizations/${encodeURIComponent(e.organizationId)}`}>{e.organizationId}</Link>
                          </dd>
                        </div>
                      )}
                      {e.ip && (
                        <div>
                          <dt>IP address</dt>
                          <dd>{e.ip}</dd>
                        </div>
                      )}
                      {e.userAgent && (
                        <div>
                          <dt>User agent</dt>
                          <dd>{e.userAgent}</dd>
                        </div>
                      )}
                      {e.requestId && (
                        <div>
                          <dt>Request id</dt>
                          <dd>
                            <code>{e.requestId}</code>
                          </dd>
                        </div>
                      )}
                      {metadata && (
                        <div className="admin-facts__wide">
                          <dt>Metadata</dt>
                          <dd>
                            <pre className="admin-audit__metadata">{metadata}</pre>
                          </dd>
                        </div>
                      )}
                    </dl>
                  </details>
                </Cell>
                <Cell label="Actor">
                  <Actor entry={e} />
                </Cell>
                <Cell label="Target">
                  <Target entry={e} />
                </Cell>
                <Cell label="Outcome">
                  <Badge tone={outcomeTone(e.outcome)}>{e.outcome}</Badge>
                </Cell>
                <Cell label="Reason">{e.reason ?? <span className="muted">—</span>}</Cell>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
