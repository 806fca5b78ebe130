import { useId, useState, type FormEvent } from 'react';
import {
  ANALYTICS_PRESETS,
  addDays,
  customRange,
  utcDay,
  type AnalyticsPreset,
  type AnalyticsRange,
  type AnalyticsSelection,
} from '../lib/analytics-range';

function CustomRange({ fromDate, toDate, onApply }: { fromDate: string; toDate: string; onApply: (range: AnalyticsRange) => void }) {
  const id = useId();
  const today = utcDay(new Date());
  const [custom, setCustom] = useState({ from: fromDate, to: toDate });
  const [error, setError] = useState<string | null>(null);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const r = customRange(custom.from, custom.to);
    if ('error' in r) {
      setError(r.error);
      return;
    }
    setError(null);
    onApply(r);
  };

  const errorId = `${id}-error`;
  const invalid = error ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};
  return (
    <form className="range__custom" onSubmit={apply} noValidate aria-label="Custom range">
      <label className="range__date">
        <span className="small muted">From (UTC)</span>
        <input
          type="date"
          className="input"
          name="from"
          value={custom.from}
          max={today}
          {...invalid}
          onChange={(e) => setCustom((c) => ({ ...c, from: e.target.value }))}
        />
      </label>
      <label className="range__date">
        <span className="small muted">To (UTC, inclusive)</span>
        <input
          type="date"
          className="input"
          name="to"
          value={custom.to}
          max={today}
          {...invalid}
          onChange={(e) => setCustom((c) => ({ ...c, to: e.target.value }))}
        />
      </label>
      <button type="submit" className="btn btn--secondary">
        Apply
      </button>
      {error && (
        <p id={errorId} className="field__error range__error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** 7 / 30 / 90 days up to today (UTC), or custom dates (at most 366 days). */
export function AnalyticsRangePicker({
  selection,
  current,
  onPreset,
  onCustom,
}: {
  selection: AnalyticsSelection;
  /** The range on screen, to prefill the custom dates. */
  current: AnalyticsRange;
  onPreset: (preset: Exclude<AnalyticsPreset, 'custom'>) => void;
  onCustom: (range: AnalyticsRange) => void;
}) {
  const name = useId();
  const choose = (preset: AnalyticsPreset) => {
    if (preset !== 'custom') return onPreset(preset);
    onCustom(current.from && current.to ? current : { from: addDays(utcDay(new Date()), -6), to: utcDay(new Date()) });
  };

  return (
    <div className="range">
      <fieldset className="segmented">
        <legend className="sr-only">Time range</legend>
        {ANALYTICS_PRESETS.map((p) => (
          <label key={p.value} className={`segmented__option${selection.preset === p.value ? ' is-selected' : ''}`}>
            <input
              type="radio"
              name={name}
              className="sr-only"
              value={p.value}
              checked={selection.preset === p.value}
              onChange={() => choose(p.value)}
            />
            <span aria-hidden="true">{p.label}</span>
            <span className="sr-only">{p.long}</span>
          </label>
        ))}
      </fieldset>
      {selection.preset === 'custom' && selection.fromDate && selection.toDate && (
        <CustomRange
          key={`${selection.fromDate}|${selection.toDate}`}
          fromDate={selection.fromDate}
          toDate={selection.toDate}
          onApply={onCustom}
        />
      )}
    </div>
  );
}
