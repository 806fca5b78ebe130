import { useState } from 'react';
import { SelectField } from '@/components/form/fields';
import { ReasonDialog } from '@/components/reason-dialog';
import type { AdminOrganizationDetail, AdminPlan } from '@/types';
import { compPlan, reactivateOrganization, suspendOrganization } from '../api/admin-organizations';

export type OrganizationAction = 'suspend' | 'reactivate' | 'plan';

/** Suspend, reactivate or comp a plan, behind a confirmation that asks for the reason. */
export function OrganizationActionDialog({
  action,
  organization,
  plans,
  onDone,
  onClose,
}: {
  action: OrganizationAction;
  organization: AdminOrganizationDetail;
  /** The plan catalog (undefined while it loads). */
  plans: AdminPlan[] | undefined;
  onDone: (text: string) => void;
  onClose: () => void;
}) {
  const { id, name } = organization;
  const current = organization.subscription?.plan.slug ?? null;
  const [plan, setPlan] = useState('');

  if (action === 'suspend') {
    return (
      <ReasonDialog
        title={`Suspend ${name}?`}
        description={
          <p>
            Its API keys are refused (<code>DISABLED</code>) until it is reactivated. Its members can still sign in.
          </p>
        }
        confirmLabel="Suspend organization"
        pendingLabel="Suspending…"
        onClose={onClose}
        onConfirm={async (reason) => {
          await suspendOrganization(id, reason);
          onDone(`Suspended ${name}. Its keys are refused until it is reactivated.`);
        }}
      />
    );
  }
  if (action === 'reactivate') {
    return (
      <ReasonDialog
        title={`Reactivate ${name}?`}
        description={<p>Its API keys work again at once.</p>}
        tone="default"
        confirmLabel="Reactivate organization"
        pendingLabel="Reactivating…"
        onClose={onClose}
        onConfirm={async (reason) => {
          await reactivateOrganization(id, reason);
          onDone(`${name} is active again.`);
        }}
      />
    );
  }

  // Archived plans cannot be given; the current one would change nothing.
  const choices = (plans ?? []).filter((p) => p.status === 'active');
  const stripe = organization.subscription?.source === 'stripe';
  return (
    <ReasonDialog<'plan'>
      title={`Change the plan of ${name}`}
      description={
        <p>
          A comped plan is free of charge: no invoice, no payment. The current period and its usage carry on; without a
          subscription a one-month period starts now.
        </p>
      }
      tone="default"
      confirmLabel="Change plan"
      pendingLabel="Changing…"
      fields={['plan']}
      renderFields={(field) => (
        <SelectField
          {...field('plan')}
          label="New plan"
          value={plan}
          onChange={(e) => setPlan(e.target.value)}
          hint={plans === undefined ? 'Loading the plans…' : 'Active plans, hidden ones too.'}
        >
          <option value="">Choose a plan</option>
          {choices.map((p) => (
            <option key={p.slug} value={p.slug} disabled={p.slug === current}>
              {p.name}
              {p.isPublic ? '' : ' (hidden)'}
              {p.slug === current ? ' (current)' : ''}
            </option>
          ))}
        </SelectField>
      )}
      validate={() => (plan ? {} : { plan: 'Choose the plan to give.' })}
      onClose={onClose}
      onConfirm={async (reason) => {
        const updated = await compPlan(id, plan, reason);
        onDone(`${name} is now on ${updated.subscription?.plan.name ?? plan}, comped.`);
      }}
    >
      {stripe && (
        <div className="callout callout--warning" role="note">
          {name} pays through a Stripe subscription. The server refuses a comped plan until that subscription is cancelled
          (or changed in Stripe).
        </div>
      )}
    </ReasonDialog>
  );
}
