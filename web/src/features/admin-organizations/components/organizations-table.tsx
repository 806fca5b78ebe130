import { Link } from 'react-router-dom';
import { Badge } from '@/components/badge';
import { Cell } from '@/components/table-cell';
import { formatDate, formatNumber } from '@/lib/format';
import type { AdminOrganization } from '@/types';
import { statusLabel, statusTone } from '../lib/organization-labels';

/** One page of organizations; each name links to its details (`/admin/organizations/{id}`, keeping the filters). */
export function OrganizationsTable({ organizations, search }: { organizations: AdminOrganization[]; search: string }) {
  return (
    <div className="table-wrap">
      <table className="table table--stack admin-table" data-testid="admin-organizations">
        <caption className="sr-only">Organizations, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Organization</th>
            <th scope="col">Owner</th>
            <th scope="col" className="num">
              Members
            </th>
            <th scope="col">Plan</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {organizations.map((o) => (
            <tr key={o.id} data-testid="admin-organization">
              <th scope="row">
                <Link to={`/admin/organizations/${encodeURIComponent(o.id)}${search}`} state={{ keepFocus: true }} className="admin-table__name">
                  {o.name}
                </Link>
                {o.personal && <span className="admin-table__sub small muted">Personal</span>}
              </th>
              <Cell label="Owner">{o.owner ? o.owner.email : <span className="muted">None</span>}</Cell>
              <Cell label="Members" num>
                {formatNumber(o.memberCount)}
              </Cell>
              <Cell label="Plan">{o.plan ? o.plan.name : <span className="muted">Free (no subscription)</span>}</Cell>
              <Cell label="Status">
                <Badge tone={statusTone(o.status)} dot>
                  {statusLabel(o.status)}
                </Badge>
              </Cell>
              <Cell label="Created">
                <time dateTime={o.createdAt}>{formatDate(o.createdAt)}</time>
              </Cell>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
