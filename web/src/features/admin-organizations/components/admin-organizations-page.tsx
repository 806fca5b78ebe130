import { useId, type ChangeEvent } from 'react';
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
import { listOrganizations, listPlans } from '../api/admin-organizations';
import { filterFromParams, isFiltered, ORGANIZATIONS_PAGE_SIZE, type OrganizationFilter } from '../lib/organization-filter';
import { OrganizationDetailDialog } from './organization-detail-dialog';
import { OrganizationsTable } from './organizations-table';

type Update = (changes: Partial<Record<keyof OrganizationFilter, string>>) => void;

function Filters({ filter, update, planOptions }: { filter: OrganizationFilter; update: Update; planOptions: { slug: string; name: string }[] }) {
  const id = useId();
  const [q, setQ] = useSearchBox(filter.q, (next) => update({ q: next }));
  const select = (key: 'status' | 'plan') => (e: ChangeEvent<HTMLSelectElement>) => update({ [key]: e.target.value });
  return (
    <form role="search" className="admin-filters" aria-label="Filter organizations" onSubmit={(e) => e.preventDefault()}>
      <div className="admin-filters__search">
        <TextField
          id={`${id}-q`}
          name="q"
          type="search"
          label="Search"
          placeholder="Name, id or owner's email"
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
      <SelectField id={`${id}-plan`} name="plan" label="Plan" value={filter.plan} onChange={select('plan')}>
        <option value="">Any plan</option>
        {planOptions.map((p) => (
          <option key={p.slug} value={p.slug}>
            {p.name}
          </option>
        ))}
      </SelectField>
    </form>
  );
}

/** `/admin/organizations` and `/admin/organizations/{id}` (the same list, with that organization open over it). */
export function AdminOrganizationsPage() {
  useDocumentTitle('Organizations');
  const { id } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const { params, update, search } = useListQuery();
  const filter = filterFromParams(params);
  const list = useRequest((signal) => listOrganizations(filter, signal), { key: JSON.stringify(filter) });
  const plans = useRequest(listPlans);

  const planOptions = (plans.data ?? []).map((p) => ({ slug: p.slug, name: p.status === 'archived' ? `${p.name} (archived)` : p.name }));
  if (filter.plan && !planOptions.some((p) => p.slug === filter.plan)) planOptions.push({ slug: filter.plan, name: filter.plan });

  let body;
  if (list.isLoading) {
    body = <LoadingBlock label="Loading organizations…" />;
  } else if (list.error && !list.data) {
    body = <AdminLoadError error={list.error} title="Could not load the organizations" onRetry={list.refresh} />;
  } else if (list.data && list.data.items.length === 0) {
    body =
      list.data.total > 0 ? (
        <EmptyState title="Nothing on this page">
          <button type="button" className="btn btn--secondary" onClick={() => update({ page: '1' })}>
            Go to the first page
          </button>
        </EmptyState>
      ) : (
        <EmptyState title={isFiltered(filter) ? 'No organizations match these filters' : 'No organizations yet'}>
          {isFiltered(filter) ? (
            <button type="button" className="btn btn--secondary" onClick={() => update({ q: '', status: '', plan: '' })}>
              Clear the filters
            </button>
          ) : (
            <p>Every account has a personal organization; they appear here when people sign up.</p>
          )}
        </EmptyState>
      );
  } else if (list.data) {
    body = (
      <>
        {list.error && <AdminLoadError error={list.error} title="Could not refresh the organizations" onRetry={list.refresh} />}
        <OrganizationsTable organizations={list.data.items} search={search} />
        <Pagination
          page={list.data.page}
          pageSize={list.data.pageSize || ORGANIZATIONS_PAGE_SIZE}
          total={list.data.total}
          noun="organizations"
          onPage={(page) => update({ page: String(page) })}
        />
      </>
    );
  }

  return (
    <div className="page admin-page">
      <PageHeader
        title="Organizations"
        description="Every personal and team organization: members, plan and usage, invoices. Suspend one, or give it a plan free of charge."
      />
      {list.error?.status !== 403 && <Filters filter={filter} update={update} planOptions={planOptions} />}
      <div role="status" aria-live="polite" className="admin-live">
        {list.isRefreshing ? 'Updating…' : ''}
      </div>
      <div aria-busy={list.isRefreshing || undefined} className={list.isRefreshing ? 'admin-refreshing' : undefined}>
        {body}
      </div>
      {id && (
        <OrganizationDetailDialog
          key={id}
          id={id}
          plans={plans.data}
          onChanged={list.refresh}
          onClose={() => navigate(`/admin/organizations${location.search}`, { replace: true, state: { keepFocus: true } })}
        />
      )}
    </div>
  );
}
