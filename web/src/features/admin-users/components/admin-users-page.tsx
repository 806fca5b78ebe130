import { useId, useState, type ChangeEvent } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router-dom';
import { AdminLoadError } from '@/components/admin-states';
import { EmptyState } from '@/components/empty-state';
import { SelectField, TextField } from '@/components/form/fields';
import { PageHeader } from '@/components/page-header';
import { Pagination } from '@/components/pagination';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useListQuery, useSearchBox } from '@/hooks/use-list-query';
import { useRequest } from '@/hooks/use-request';
import { useAuthStore } from '@/stores/auth-store';
import { listPlans, listUsers } from '../api/admin-users';
import { filterFromParams, isFiltered, USERS_PAGE_SIZE, type UserFilter } from '../lib/user-filter';
import { UserDetailDialog } from './user-detail-dialog';
import { UsersTable } from './users-table';

type FilterKey = Exclude<keyof UserFilter, 'page'>;
type Update = (changes: Partial<Record<FilterKey | 'page', string>>) => void;

function Filters({ filter, update, planOptions }: { filter: UserFilter; update: Update; planOptions: { slug: string; name: string }[] }) {
  const id = useId();
  const [q, setQ] = useSearchBox(filter.q, (next) => update({ q: next }));

  const select = (key: FilterKey) => (e: ChangeEvent<HTMLSelectElement>) => update({ [key]: e.target.value });
  return (
    <form role="search" className="admin-filters" aria-label="Filter users" onSubmit={(e) => e.preventDefault()}>
      <div className="admin-filters__search">
        <TextField
          id={`${id}-q`}
          name="q"
          type="search"
          label="Search"
          placeholder="Email, name or user id"
          autoComplete="off"
          spellCheck={false}
          maxLength={200}
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      <SelectField id={`${id}-status`} name="status" label="Status" value={filter.status} onChange={select('status')}>
        <option value="">Active and suspended</option>
        <option value="active">Active</option>
        <option value="suspended">Suspended</option>
        <option value="deleted">Deleted</option>
      </SelectField>
      <SelectField id={`${id}-role`} name="role" label="Role" value={filter.role} onChange={select('role')}>
        <option value="">Any role</option>
        <option value="USER">User</option>
        <option value="ADMIN">Admin</option>
      </SelectField>
      <SelectField id={`${id}-plan`} name="plan" label="Plan" value={filter.plan} onChange={select('plan')}>
        <option value="">Any plan</option>
        {planOptions.map((p) => (
          <option key={p.slug} value={p.slug}>
            {p.name}
          </option>
        ))}
      </SelectField>
      <SelectField id={`${id}-verified`} name="verified" label="Email" value={filter.verified} onChange={select('verified')}>
        <option value="">Verified or not</option>
        <option value="true">Verified</option>
        <option value="false">Not verified</option>
      </SelectField>
    </form>
  );
}

/** `/admin/users` and `/admin/users/{id}` (the same list, with that user's details open over it). */
export function AdminUsersPage() {
  useDocumentTitle('Users');
  const { id } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const selfId = useAuthStore((s) => s.user?.id);
  const { params, update, search } = useListQuery();
  const filter = filterFromParams(params);
  const key = JSON.stringify(filter);
  const users = useRequest((signal) => listUsers(filter, signal), { key });
  const plans = useRequest(listPlans);
  const [notice, setNotice] = useState<string | null>(null);

  // The plan in the URL stays selectable even before (or without) the catalog.
  const planOptions = (plans.data ?? []).map((p) => ({ slug: p.slug, name: p.status === 'archived' ? `${p.name} (archived)` : p.name }));
  if (filter.plan && !planOptions.some((p) => p.slug === filter.plan)) planOptions.push({ slug: filter.plan, name: filter.plan });

  const closeDetail = () => navigate(`/admin/users${location.search}`, { replace: true, state: { keepFocus: true } });

  let body;
  if (users.isLoading) {
    body = <LoadingBlock label="Loading users…" />;
  } else if (users.error && !users.data) {
    body = <AdminLoadError error={users.error} title="Could not load the users" onRetry={users.refresh} />;
  } else if (users.data && users.data.items.length === 0) {
    body =
      users.data.total > 0 ? (
        <EmptyState title="Nothing on this page">
          <button type="button" className="btn btn--secondary" onClick={() => update({ page: '1' })}>
            Go to the first page
          </button>
        </EmptyState>
      ) : (
        <EmptyState title={isFiltered(filter) ? 'No users match these filters' : 'No users yet'}>
          {isFiltered(filter) ? (
            <button
              type="button"
              className="btn btn--secondary"
              onClick={() => update({ q: '', status: '', role: '', plan: '', verified: '' })}
            >
              Clear the filters
            </button>
          ) : (
            <p>People appear here when they sign up.</p>
          )}
        </EmptyState>
      );
  } else if (users.data) {
    body = (
      <>
        {users.error && <AdminLoadError error={users.error} title="Could not refresh the users" onRetry={users.refresh} />}
        <UsersTable users={users.data.items} search={search} />
        <Pagination
          page={users.data.page}
          pageSize={users.data.pageSize || USERS_PAGE_SIZE}
          total={users.data.total}
          noun="users"
          onPage={(page) => update({ page: String(page) })}
        />
      </>
    );
  }

  return (
    <div className="page admin-page">
      <PageHeader title="Users" description="Everyone with an account: find a person, see their organizations, usage and sessions, and act on their account." />
      {users.error?.status !== 403 && <Filters filter={filter} update={update} planOptions={planOptions} />}
      <div role="status" aria-live="polite" className={notice ? 'inline-message inline-message--ok' : 'admin-live'}>
        {notice ?? (users.isRefreshing ? 'Updating…' : '')}
      </div>
      <div aria-busy={users.isRefreshing || undefined} className={users.isRefreshing ? 'admin-refreshing' : undefined}>
        {body}
      </div>
      {id && (
        <UserDetailDialog
          key={id}
          id={id}
          selfId={selfId}
          plans={plans.data}
          onChanged={users.refresh}
          onDeleted={(text) => {
            setNotice(text);
            users.refresh();
            closeDetail();
          }}
          onClose={closeDetail}
        />
      )}
    </div>
  );
}
