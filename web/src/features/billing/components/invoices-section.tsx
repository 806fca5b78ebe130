import { useState, type MouseEvent } from 'react';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import { errorMessage } from '@/lib/errors';
import { formatDate, formatNumber } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import type { InvoiceSummary } from '@/types';
import { useInvoices } from '../hooks/use-invoices';
import { invoiceTitle } from '../lib/invoices';
import { InvoiceStatusBadge } from './billing-badges';
import { InvoiceDialog } from './invoice-dialog';

function InvoiceRow({ invoice, onOpen }: { invoice: InvoiceSummary; onOpen: (invoice: InvoiceSummary) => void }) {
  const title = invoiceTitle(invoice);
  // A click anywhere on the row opens the details (mouse convenience); the Details button is the keyboard way.
  const onRowClick = (e: MouseEvent<HTMLTableRowElement>) => {
    if ((e.target as HTMLElement).closest('a, button')) return;
    onOpen(invoice);
  };
  return (
    <tr data-testid="invoice" className="billing-invoice-row" onClick={onRowClick}>
      <th scope="row">
        {invoice.number ?? (
          <span className="muted" title="Not numbered yet">
            —<span className="sr-only">No number yet</span>
          </span>
        )}
      </th>
      <Cell label="Period">
        {formatDate(invoice.periodStart)} – {formatDate(invoice.periodEnd)}
      </Cell>
      <Cell label="Status">
        <InvoiceStatusBadge status={invoice.status} />
      </Cell>
      <Cell label="Total" num>
        {formatMoney(invoice.total, invoice.currency)}
      </Cell>
      <Cell label="Links" className="billing-invoice-row__links">
        <button type="button" className="link-button" onClick={() => onOpen(invoice)} aria-label={`Details of ${title}`}>
          Details
        </button>
        {invoice.hostedInvoiceUrl && (
          <a href={invoice.hostedInvoiceUrl} target="_blank" rel="noopener noreferrer" aria-label={`View ${title} (opens in a new tab)`}>
            View
          </a>
        )}
        {invoice.invoicePdfUrl && (
          <a href={invoice.invoicePdfUrl} target="_blank" rel="noopener noreferrer" aria-label={`PDF of ${title} (opens in a new tab)`}>
            PDF
          </a>
        )}
      </Cell>
    </tr>
  );
}

/** Invoices, newest first, with cursor "load more" and a details dialog. */
export function InvoicesSection({ reloadToken }: { reloadToken: number }) {
  const invoices = useInvoices(reloadToken);
  const [open, setOpen] = useState<InvoiceSummary | null>(null);

  let body;
  if (invoices.isLoading) {
    body = <LoadingBlock label="Loading invoices…" />;
  } else if (invoices.error && invoices.items.length === 0) {
    body = <ErrorState error={invoices.error} title="Could not load your invoices" onRetry={invoices.refresh} />;
  } else if (invoices.items.length === 0) {
    body = <EmptyState title="No invoices yet">Invoices appear here at the end of each billing period and when you change to a paid plan.</EmptyState>;
  } else {
    body = (
      <>
        <div className="table-wrap">
          <table className="table table--stack billing-table" data-testid="invoices">
            <caption className="sr-only">Invoices, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">
                  <span className="sr-only">Links</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invoices.items.map((invoice) => (
                <InvoiceRow key={invoice.id} invoice={invoice} onOpen={setOpen} />
              ))}
            </tbody>
          </table>
        </div>
        <div className="usage-events__more">
          <p className="muted small" role="status">
            {invoices.items.length === 1 ? 'Showing 1 invoice' : `Showing ${formatNumber(invoices.items.length)} invoices`}
            {invoices.hasMore ? '' : ' (all of them)'}.
          </p>
          {invoices.moreError && (
            <p className="field__error" role="alert">
              {errorMessage(invoices.moreError)}
            </p>
          )}
          {invoices.hasMore && (
            <button
              type="button"
              className="btn btn--secondary btn--sm"
              onClick={() => void invoices.loadMore()}
              aria-disabled={invoices.loadingMore || undefined}
            >
              {invoices.loadingMore ? 'Loading…' : 'Load more'}
            </button>
          )}
        </div>
      </>
    );
  }

  return (
    <section className="billing-block" aria-labelledby="invoices-title">
      <h2 id="invoices-title" className="billing-section__title">
        Invoices
      </h2>
      {body}
      {open && <InvoiceDialog summary={open} onClose={() => setOpen(null)} />}
    </section>
  );
}
