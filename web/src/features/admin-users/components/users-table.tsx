import { Link } from 'react-router-dom';
import { Badge } from '@/components/badge';
import { RelativeTime } from '@/components/relative-time';
import { Cell } from '@/components/table-cell';
import { formatDate } from '@/lib/format';
import type { AdminUser } from '@/types';
import { displayName, statusLabel, statusTone } from '../lib/user-labels';

/** The users of one page; each name links to the user's details (`/admin/users/{id}`, keeping the filters). */
export function UsersTable({ users, search }: { users: AdminUser[]; search: string }) {
  return (
    <div className="table-wrap">
      <table className="table table--stack admin-table" data-testid="admin-users">
        <caption className="sr-only">Users, newest first</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Status</th>
            <th scope="col">Role</th>
            <th scope="col">Plan</th>
            <th scope="col">Security</th>
            <th scope="col">Joined</th>
            <th scope="col">Last sign-in</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid="admin-user">
              <th scope="row">
                <Link to={`/admin/users/${encodeURIComponent(u.id)}${search}`} state={{ keepFocus: true }} className="admin-table__name">
                  {displayName(u)}
                </Link>
                {u.name?.trim() ? <span className="admin-table__sub small muted">{u.email}</span> : null}
              </th>
              <Cell label="Status">
                <Badge tone={statusTone(u.status)} dot>
                  {statusLabel(u.status)}
                </Badge>
              </Cell>
              <Cell label="Role">{u.role === 'ADMIN' ? <Badge tone="info">Admin</Badge> : 'User'}</Cell>
              <Cell label="Plan">{u.plan ? u.plan.name : <span className="muted">Free (no subscription)</span>}</Cell>
              <Cell label="Security">
                <span className="badge-row">
                  {u.emailVerified ? <Badge tone="success">Verified</Badge> : <Badge tone="warning">Unverified</Badge>}
                  {u.twoFactor ? <Badge tone="success">2FA</Badge> : <Badge tone="neutral">No 2FA</Badge>}
                </span>
              </Cell>
              <Cell label="Joined">
                <time dateTime={u.createdAt}>{formatDate(u.createdAt)}</time>
              </Cell>
              <Cell label="Last sign-in">
                <RelativeTime iso={u.lastLoginAt} />
              </Cell>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
