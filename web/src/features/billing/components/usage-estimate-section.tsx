import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import type { ApiError } from '@/lib/api-client';
import { formatDate, formatNumber, formatPercent } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import type { UpcomingInvoice } from '@/types';

function UsageBar({ upcoming }: { upcoming: UpcomingInvoice }) {
  const { includedUnits, usedUnits, projectedUsedUnits } = upcoming;
  if (includedUnits <= 0) {
    return (
      <p className="small" data-testid="usage-no-included">
        <strong>{formatNumber(usedUnits)}</strong> units used so far. Your plan includes no units: all usage is billed as
        overage.
      </p>
    );
  }
  // The bar's scale leaves room for the projection (or for usage beyond the included units).
  const scale = Math.max(includedUnits, usedUnits, projectedUsedUnits);
  const usedPct = (usedUnits / scale) * 100;
  const projectedPct = (Math.max(projectedUsedUnits, usedUnits) / scale) * 100;
  const includedPct = (includedUnits / scale) * 100;
  const ratio = usedUnits / includedUnits;
  const state = ratio >= 1 ? 'danger' : ratio >= 0.8 ? 'warning' : 'ok';
  const text =
    `${formatNumber(usedUnits)} of ${formatNumber(includedUnits)} included units used (${formatPercent(ratio)}). ` +
    `Projected by the end of the period: ${formatNumber(projectedUsedUnits)} units.`;
  return (
    <div className={`quota quota--${state} usage-estimate`}>
      <div className="quota__head">
        <p className="quota__used">
          <strong>
            {formatNumber(usedUnits)} / {formatNumber(includedUnits)}
          </strong>{' '}
          <span className="muted">included units used</span>
        </p>
        <p className="quota__percent">{formatPercent(ratio)}</p>
      </div>
      <div
        className="quota__track usage-estimate__track"
        role="progressbar"
        aria-label="Included units used this period"
        aria-valuemin={0}
        aria-valuemax={includedUnits}
        aria-valuenow={Math.min(usedUnits, includedUnits)}
        aria-valuetext={text}
      >
        <span className="usage-estimate__projected" style={{ width: `${Math.min(100, projectedPct)}%` }} />
        <span className="quota__fill usage-estimate__used" style={{ width: `${Math.min(100, usedPct)}%` }} />
        {includedPct < 100 && <span className="usage-estimate__limit" style={{ left: `${includedPct}%` }} />}
      </div>
      <p className="small muted usage-estimate__legend">
        <span className="usage-estimate__item">
          <span className="usage-estimate__key usage-estimate__key--used" aria-hidden="true" /> Used so far
        </span>
        <span className="usage-estimate__item">
          <span className="usage-estimate__key usage-estimate__key--projected" aria-hidden="true" /> Projected at this pace:{' '}
          {formatNumber(projectedUsedUnits)} units
          {projectedUsedUnits > includedUnits ? ` (${formatNumber(projectedUsedUnits - includedUnits)} over)` : ''}
        </span>
      </p>
    </div>
  );
}

function Stat({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <li className="stat card" data-testid={testId}>
      <p className="stat__label">{label}</p>
      <p className="stat__value">{value}</p>
      {detail && <p className="stat__detail">{detail}</p>}
    </li>
  );
}

/** This period's usage against the included units, and the next invoice as it stands and as projected. */
export function UsageEstimateSection({
  upcoming,
  error,
  onRetry,
}: {
  upcoming: UpcomingInvoice | undefined;
  error: ApiError | undefined;
  onRetry: () => void;
}) {
  let body;
  if (!upcoming && error) {
    body = <ErrorState error={error} title="Could not estimate your next invoice" onRetry={onRetry} />;
  } else if (!upcoming) {
    body = <LoadingBlock label="Estimating your next invoice…" />;
  } else {
    const u = upcoming;
    const money = (minor: number) => formatMoney(minor, u.currency);
    body = (
      <>
        <p className="muted small">
          <time dateTime={u.periodStart}>{formatDate(u.periodStart)}</time> –{' '}
          <time dateTime={u.periodEnd}>{formatDate(u.periodEnd)}</time>
          {u.usedUnits === 0 ? ' · no usage yet this period' : ''}
        </p>
        <UsageBar upcoming={u} />
        <ul className="stats" aria-label="Next invoice estimate">
          <Stat testId="estimate-base" label="Base fee" value={money(u.baseFee)} />
          <Stat
            testId="estimate-overage"
            label="Overage so far"
            value={money(u.overageAmount)}
            detail={`${formatNumber(u.overageUnits)} units over`}
          />
          <Stat testId="estimate-total" label="Total so far" value={money(u.total)} />
          <Stat
            testId="estimate-projected"
            label="Projected total"
            value={money(u.projectedTotal)}
            detail={`incl. ${money(u.projectedOverageAmount)} overage`}
          />
        </ul>
        {u.lines.length > 0 && (
          <details className="billing-details">
            <summary>Estimate breakdown</summary>
            <div className="table-wrap">
              <table className="table table--stack billing-lines">
                <caption className="sr-only">Next invoice so far, line by line</caption>
                <thead>
                  <tr>
                    <th scope="col">Item</th>
                    <th scope="col" className="num">
                      Quantity
                    </th>
                    <th scope="col" className="num">
                      Amount
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {u.lines.map((line, i) => (
                    <tr key={`${line.kind}-${i}`}>
                      <Cell label="Item">{line.description}</Cell>
                      <Cell label="Quantity" num>
                        {formatNumber(line.quantity)}
                      </Cell>
                      <Cell label="Amount" num>
                        {money(line.amount)}
                      </Cell>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        )}
      </>
    );
  }

  return (
    <section className="card billing-section" aria-labelledby="usage-estimate-title">
      <h2 id="usage-estimate-title" className="billing-section__title">
        Usage this period
      </h2>
      {body}
    </section>
  );
}
