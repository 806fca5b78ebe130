import { useRef, useState, type ChangeEvent } from 'react';
import { Dialog } from '@/components/dialog';
import { SelectField, TextAreaField, TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import type { AdminPlan } from '@/types';
import { createPlan, updatePlan } from '../api/admin-plans';
import {
  LIMITS,
  moneyHint,
  NEW_PLAN_VALUES,
  parsePlanForm,
  planChanges,
  PLAN_FIELDS,
  toPlanInput,
  valuesFromPlan,
  type PlanFormValues,
} from '../lib/plan-form';

type TextKey = Exclude<keyof PlanFormValues, 'isPublic'>;

/** Create a plan, or edit one (the PATCH carries only the fields that changed; the slug is read-only). */
export function PlanFormDialog({
  plan,
  onSaved,
  onClose,
}: {
  /** The plan to edit; none: create. */
  plan?: AdminPlan;
  onSaved: (saved: AdminPlan, mode: 'create' | 'edit') => void;
  onClose: () => void;
}) {
  const mode = plan ? 'edit' : 'create';
  const [values, setValues] = useState<PlanFormValues>(() => (plan ? valuesFromPlan(plan) : NEW_PLAN_VALUES));
  const [unchanged, setUnchanged] = useState(false);
  // Editing: the slug is read-only, so start on the name.
  const nameRef = useRef<HTMLInputElement>(null);
  const form = useForm(PLAN_FIELDS, {
    codes:
      mode === 'create'
        ? {
            PLAN_SLUG_TAKEN: { field: 'slug', message: 'A plan with this slug already exists. Choose another slug.' },
            CONFLICT: { field: 'slug', message: 'A plan with this slug already exists. Choose another slug.' },
          }
        : {
            NOT_FOUND: { message: 'This plan no longer exists. Close this and reload the list.' },
            PLAN_NOT_FOUND: { message: 'This plan no longer exists. Close this and reload the list.' },
          },
  });

  const set = (key: TextKey) => (e: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => {
    setUnchanged(false);
    setValues((v) => ({ ...v, [key]: e.target.value }));
  };

  const onSubmit = form.handleSubmit(
    async () => {
      const parsed = parsePlanForm(values, mode);
      if (!parsed.ok) return;
      if (!plan) {
        onSaved(await createPlan(toPlanInput(parsed.slug, parsed.plan)), 'create');
        return;
      }
      const changes = planChanges(plan, parsed.plan);
      if (Object.keys(changes).length === 0) {
        setUnchanged(true);
        return;
      }
      onSaved(await updatePlan(plan.id, changes), 'edit');
    },
    () => {
      setUnchanged(false);
      const parsed = parsePlanForm(values, mode);
      return parsed.ok ? {} : parsed.errors;
    },
  );

  const money = moneyHint(values.currency);
  const isPublic = form.field('isPublic');
  return (
    <Dialog
      wide
      initialFocusRef={plan ? nameRef : undefined}
      title={plan ? `Edit ${plan.name}` : 'Create a plan'}
      onClose={onClose}
      description={
        plan && plan.subscribers > 0 ? (
          <p>
            {plan.subscribers.toLocaleString()} organization{plan.subscribers === 1 ? ' is' : 's are'} on this plan. New limits
            apply to them within a second; a new price applies to new subscribers (existing ones keep theirs until they change
            plan).
          </p>
        ) : undefined
      }
    >
      <form className="form plan-form" noValidate onSubmit={onSubmit} aria-label={plan ? `Edit ${plan.name}` : 'Create a plan'}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {unchanged && <Notice tone="info">Nothing has changed, so there is nothing to save.</Notice>}

        <fieldset className="plan-form__group">
          <legend className="plan-form__legend">Plan</legend>
          <div className="form__grid">
            <TextField
              {...form.field('slug')}
              label="Slug"
              value={values.slug}
              onChange={set('slug')}
              readOnly={mode === 'edit'}
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="none"
              maxLength={63}
              hint={mode === 'edit' ? 'The slug cannot change.' : 'Lowercase letters, digits and hyphens, e.g. "pro". It cannot change later.'}
            />
            <TextField
              {...form.field('name')}
              inputRef={nameRef}
              label="Name"
              value={values.name}
              onChange={set('name')}
              autoComplete="off"
              maxLength={LIMITS.nameMax}
            />
          </div>
          <TextAreaField
            {...form.field('description')}
            label="Description"
            optional
            rows={2}
            className="input--prose"
            value={values.description}
            onChange={set('description')}
            maxLength={LIMITS.descriptionMax}
          />
          <div className="form__grid">
            <SelectField {...form.field('type')} label="Type" value={values.type} onChange={set('type')}>
              <option value="SUBSCRIPTION">Subscription (base fee)</option>
              <option value="HYBRID">Hybrid (base fee + usage)</option>
              <option value="PAY_AS_YOU_GO">Pay as you go (usage only)</option>
            </SelectField>
            <TextField
              {...form.field('displayOrder')}
              label="Display order"
              inputMode="numeric"
              value={values.displayOrder}
              onChange={set('displayOrder')}
              hint="Lower numbers are listed first."
            />
          </div>
          <label className="checkbox-field">
            <input
              type="checkbox"
              id={isPublic.id}
              checked={values.isPublic}
              aria-invalid={isPublic.error ? true : undefined}
              aria-describedby={isPublic.error ? `${isPublic.id}-error` : undefined}
              onChange={(e) => {
                setUnchanged(false);
                setValues((v) => ({ ...v, isPublic: e.target.checked }));
              }}
            />
            <span>
              Public <span className="muted small">— listed on the pricing page and in the plan picker</span>
            </span>
          </label>
          {isPublic.error && (
            <p id={`${isPublic.id}-error`} className="field__error">
              {isPublic.error}
            </p>
          )}
        </fieldset>

        <fieldset className="plan-form__group">
          <legend className="plan-form__legend">Price</legend>
          <div className="form__grid">
            <TextField
              {...form.field('currency')}
              label="Currency"
              value={values.currency}
              onChange={set('currency')}
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              maxLength={3}
              className="input--short"
              hint="ISO 4217, e.g. USD."
            />
            <TextField {...form.field('trialDays')} label="Trial days" inputMode="numeric" value={values.trialDays} onChange={set('trialDays')} hint="0: no trial." />
          </div>
          <div className="form__grid">
            <TextField {...form.field('priceMonthly')} label="Monthly price" inputMode="decimal" value={values.priceMonthly} onChange={set('priceMonthly')} hint={money} />
            <TextField
              {...form.field('priceAnnual')}
              label="Annual price"
              optional
              inputMode="decimal"
              value={values.priceAnnual}
              onChange={set('priceAnnual')}
              hint="Empty: no annual option."
            />
          </div>
        </fieldset>

        <fieldset className="plan-form__group">
          <legend className="plan-form__legend">Usage</legend>
          <div className="form__grid">
            <TextField
              {...form.field('includedUnits')}
              label="Included units per month"
              inputMode="numeric"
              value={values.includedUnits}
              onChange={set('includedUnits')}
            />
            <SelectField {...form.field('quotaPolicy')} label="Beyond the included units" value={values.quotaPolicy} onChange={set('quotaPolicy')}>
              <option value="hard_cap">Refuse calls (hard cap)</option>
              <option value="allow_overage">Allow and bill overage</option>
            </SelectField>
          </div>
          <div className="form__grid">
            <TextField
              {...form.field('overagePrice')}
              label="Overage price per block"
              inputMode="decimal"
              value={values.overagePrice}
              onChange={set('overagePrice')}
              hint={money}
            />
            <TextField
              {...form.field('overageBlockUnits')}
              label="Units per overage block"
              inputMode="numeric"
              value={values.overageBlockUnits}
              onChange={set('overageBlockUnits')}
              hint="e.g. 1000: the price is per 1,000 units."
            />
          </div>
        </fieldset>

        <fieldset className="plan-form__group">
          <legend className="plan-form__legend">Limits</legend>
          <div className="form__grid form__grid--3">
            <TextField
              {...form.field('rateLimitPerMinute')}
              label="Rate limit per minute"
              inputMode="numeric"
              value={values.rateLimitPerMinute}
              onChange={set('rateLimitPerMinute')}
            />
            <TextField
              {...form.field('maxApiKeys')}
              label="Max API keys"
              optional
              inputMode="numeric"
              value={values.maxApiKeys}
              onChange={set('maxApiKeys')}
              hint="Empty: unlimited."
            />
            <TextField
              {...form.field('maxMembers')}
              label="Max members"
              optional
              inputMode="numeric"
              value={values.maxMembers}
              onChange={set('maxMembers')}
              hint="Empty: unlimited."
            />
          </div>
        </fieldset>

        <TextAreaField
          {...form.field('features')}
          label="Features"
          rows={5}
          spellCheck={false}
          autoCapitalize="none"
          value={values.features}
          onChange={set('features')}
          hint={'A JSON object of flags shown on the pricing page, e.g. {"csv_export": true, "support": "email", "usage_history_days": 30}.'}
        />

        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel={plan ? 'Saving…' : 'Creating…'}>
            {plan ? 'Save changes' : 'Create plan'}
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
