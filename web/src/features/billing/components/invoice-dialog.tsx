import { Dialog } from '@/components/dialog';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import { useRequest } from '@/hooks/use-request';
import { formatDate, formatNumber } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import type { Invoice, InvoiceLine, InvoiceSummary } from '@/types';
import { getInvoice } from '../api/billing';
import { invoiceTitle } from '../lib/invoices';
import { InvoiceStatusBadge } from './billing-badges';

function unitPrice(line: InvoiceLine, currency: string): string {
  if (line.unitPrice === null) return '—';
  const price = formatMoney(line.unitPrice, currency);
  return line.unitsPerPrice === 1 ? price : `${price} / ${formatNumber(line.unitsPerPrice)}`;
}

function InvoiceBody({ invoice }: { invoice: Invoice }) {
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  return (
    <>
      <dl className="billing-facts">
        <div>
          <dt>Status</dt>
          <dd>
            <InvoiceStatusBadge status={invoice.status} />
          </dd>
        </div>
        <div>
          <dt>Period</dt>
          <dd>
            {formatDate(invoice.periodStart)} – {formatDate(invoice.periodEnd)}
          </dd>
        </div>
        {invoice.issuedAt && (
          <div>
            <dt>Issued</dt>
            <dd>{formatDate(invoice.issuedAt)}</dd>
          </div>
        )}
        {invoice.dueAt && (
          <div>
            <dt>Due</dt>
            <dd>{formatDate(invoice.dueAt)}</dd>
          </div>
        )}
        {invoice.paidAt && (
          <div>
            <dt>Paid</dt>
            <dd>{formatDate(invoice.paidAt)}</dd>
          </div>
        )}
        <div>
          <dt>Usage</dt>
          <dd>
            {formatNumber(invoice.usageUnits)} units ({formatNumber(invoice.includedUnits)} included,{' '}
            {formatNumber(invoice.overageUnits)} over)
          </dd>
        </div>
      </dl>
      {invoice.lines.length === 0 ? (
        <p className="muted small">This invoice has no line items.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack billing-lines" data-testid="invoice-lines">
            <caption className="sr-only">Line items</caption>
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col" className="num">
                  Unit price
                </th>
                <th scope="col" className="num">
                  Amount
                </th>
              </tr>
            </thead>
            <tbody>
              {invoice.lines.map((line, i) => (
                <tr key={`${line.kind}-${i}`}>
                  <Cell label="Item">
                    {line.description}
                    {line.proration && <span className="muted small"> (prorated)</span>}
                  </Cell>
                  <Cell label="Quantity" num>
                    {formatNumber(line.quantity)}
                  </Cell>
                  <Cell label="Unit price" num>
                    {unitPrice(line, invoice.currency)}
                  </Cell>
                  <Cell label="Amount" num>
                    {money(line.amount)}
                  </Cell>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <dl className="billing-summary" data-testid="invoice-totals">
        <div>
          <dt>Subtotal</dt>
          <dd>{money(invoice.subtotal)}</dd>
        </div>
        {invoice.discount > 0 && (
          <div>
            <dt>Discount</dt>
            <dd>−{money(invoice.discount)}</dd>
          </div>
        )}
        {invoice.tax > 0 && (
          <div>
            <dt>Tax</dt>
            <dd>{money(invoice.tax)}</dd>
          </div>
        )}
        <div>
          <dt>Total</dt>
          <dd>{money(invoice.total)}</dd>
        </div>
        <div>
          <dt>Paid</dt>
          <dd>{money(invoice.amountPaid)}</dd>
        </div>
        <div>
          <dt>Amount due</dt>
          <dd>{money(invoice.amountDue)}</dd>
        </div>
      </dl>
      {(invoice.hostedInvoiceUrl || invoice.invoicePdfUrl) && (
        <p className="billing-links">
          {invoice.hostedInvoiceUrl && (
            <a href={invoice.hostedInvoiceUrl} target="_blank" rel="noopener noreferrer" className="btn btn--secondary btn--sm">
              View online<span className="sr-only"> (opens in a new tab)</span>
            </a>
          )}
          {invoice.invoicePdfUrl && (
            <a href={invoice.invoicePdfUrl} target="_blank" rel="noopener noreferrer" className="btn btn--secondary btn--sm">
              Download PDF<span className="sr-only"> (opens in a new tab)</span>
            </a>
          )}
        </p>
      )}
    </>
  );
}

/** One invoice with its line items (`GET /api/user/billing/invoices/{id}`). */
export function InvoiceDialog({ summary, onClose }: { summary: InvoiceSummary; onClose: () => void }) {
  const invoice = useRequest((signal) => getInvoice(summary.id, signal), { key: summary.id });
  return (
    <Dialog title={invoiceTitle(summary)} onClose={onClose}>
      {invoice.isLoading ? (
        <LoadingBlock label="Loading the invoice…" />
      ) : invoice.error && !invoice.data ? (
        <ErrorState error={invoice.error} title="Could not load this invoice" onRetry={invoice.refresh} />
      ) : invoice.data ? (
        <InvoiceBody invoice={invoice.data} />
      ) : null}
    </Dialog>
  );
}
