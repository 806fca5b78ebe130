import { formatNumber, formatPercent } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import type { AdminAnalytics } from '@/types';
import { visibleMrr } from '../lib/analytics-data';
import { formatDay } from '../lib/analytics-range';

function Kpi({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <li className="stat card" data-testid={testId}>
      <p className="stat__label">{label}</p>
      <p className="stat__value">{value}</p>
      {detail && <p className="stat__detail">{detail}</p>}
    </li>
  );
}

const plural = (n: number, one: string, many: string) => `${formatNumber(n)} ${n === 1 ? one : many}`;

/** The headline numbers of the range; MRR, paying organizations and users are the latest snapshot up to `to`. */
export function AnalyticsKpis({ data }: { data: AdminAnalytics }) {
  const t = data.totals;
  const mrr = visibleMrr(data.mrr);
  const asOf = `As of ${formatDay(data.to)}`;
  const errorRate = t.requests > 0 ? t.errors / t.requests : 0;
  return (
    <ul className="stats" aria-label="Key numbers for this range">
      <Kpi testId="kpi-users" label="Users" value={formatNumber(data.usersTotal)} detail={`${asOf}, deleted accounts excluded`} />
      <Kpi testId="kpi-signups" label="Signups" value={formatNumber(t.signups)} detail="New accounts in this range" />
      <Kpi testId="kpi-logins" label="Logins" value={formatNumber(t.logins)} detail="Successful sign-ins in this range" />
      <Kpi
        testId="kpi-paying"
        label="Paying organizations"
        value={formatNumber(data.payingOrganizations)}
        detail={`${asOf}; comped plans and trials excluded`}
      />
      {mrr.length === 0 ? (
        <Kpi testId="kpi-mrr" label="MRR" value="—" detail="No snapshot yet" />
      ) : (
        mrr.map((m) => (
          <Kpi
            key={m.currency}
            testId={`kpi-mrr-${m.currency}`}
            label={`MRR (${m.currency})`}
            value={formatMoney(m.amount, m.currency)}
            detail={`ARR ${formatMoney(m.arr, m.currency)}`}
          />
        ))
      )}
      <Kpi
        testId="kpi-conversion"
        label="Conversion rate"
        value={formatPercent(data.conversionRate)}
        detail={`${plural(t.paidConversions, 'first paid invoice', 'first paid invoices')} / ${plural(t.signups, 'signup', 'signups')}`}
      />
      <Kpi
        testId="kpi-churn"
        label="Churn rate"
        value={formatPercent(data.churnRate)}
        detail={`${plural(t.churned, 'paid subscription', 'paid subscriptions')} ended`}
      />
      <Kpi
        testId="kpi-active"
        label="Active organizations (peak)"
        value={formatNumber(t.activeOrganizations)}
        detail="Most organizations calling the API on one day"
      />
      <Kpi
        testId="kpi-requests"
        label="API requests"
        value={formatNumber(t.requests)}
        detail={`${formatPercent(errorRate)} errors · ${formatNumber(t.rateLimited)} rate-limited · ${formatNumber(t.quotaRejected)} over quota`}
      />
    </ul>
  );
}
