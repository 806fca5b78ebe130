import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorMessage } from '@/lib/errors';
import { toApiError, type ApiError } from '@/lib/api-client';

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/** A problem code the form turns into a message, optionally attached to one of its fields. */
export interface CodeRule<F extends string> {
  field?: F;
  message: string | ((error: ApiError) => string);
}

export interface FormError {
  message: string;
  requestId?: string | undefined;
  /** Server field errors that name no field of this form. */
  details: string[];
}

interface Options<F extends string> {
  codes?: Partial<Record<string, CodeRule<F>>>;
  /** Server field names that differ from the form's (e.g. `confirmation` → `confirm`). */
  aliases?: Partial<Record<string, F>>;
}

export interface FieldBinding<F extends string> {
  id: string;
  name: F;
  error: string | undefined;
}

/**
 * Submission state for one form: pending flag, per-field and form-level errors from client checks or from a
 * problem document (`errors[]`, or a code mapped to a field), and focus management: after a failed submit,
 * focus goes to the first invalid field, or to the form's alert when no field is to blame.
 */
export function useForm<F extends string>(fields: readonly F[], options: Options<F> = {}) {
  const prefix = useId();
  const [pending, setPending] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<FormError | null>(null);
  const [focusTick, setFocusTick] = useState(0);
  const alertRef = useRef<HTMLDivElement>(null);
  const pendingRef = useRef(false);
  const mounted = useRef(true);
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const fieldsRef = useRef(fields);
  fieldsRef.current = fields;

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const fieldId = useCallback((name: F) => `${prefix}${name}`, [prefix]);

  useEffect(() => {
    if (focusTick === 0) return;
    const first = fieldsRef.current.find((f) => fieldErrors[f]);
    if (first) {
      document.getElementById(fieldId(first))?.focus();
    } else {
      alertRef.current?.focus();
    }
    // Only a new failed submit moves focus; later renders must not steal it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusTick]);

  const fail = useCallback((errors: FieldErrors<F>, form: FormError | null) => {
    setFieldErrors(errors);
    setFormError(form);
    setFocusTick((t) => t + 1);
  }, []);

  const applyApiError = useCallback(
    (error: ApiError) => {
      const { codes = {}, aliases = {} } = optionsRef.current;
      const known = new Set<string>(fieldsRef.current);
      const errors: FieldErrors<F> = {};
      const details: string[] = [];
      for (const e of error.errors) {
        const name = (aliases[e.field] ?? e.field) as F;
        if (known.has(name) && !errors[name]) errors[name] = sentence(e.message);
        else details.push(e.field ? `${e.field}: ${e.message}` : e.message);
      }
      const rule = codes[error.code];
      const message = rule ? (typeof rule.message === 'function' ? rule.message(error) : rule.message) : undefined;
      if (rule?.field && message) errors[rule.field] = message;
      const hasFieldErrors = Object.keys(errors).length > 0;
      const showForm = details.length > 0 || !hasFieldErrors || (message !== undefined && !rule?.field);
      fail(
        errors,
        showForm
          ? {
              message: message && !rule?.field ? message : hasFieldErrors ? 'Some fields need attention.' : errorMessage(error),
              requestId: error.status >= 500 ? error.requestId : undefined,
              details,
            }
          : null,
      );
    },
    [fail],
  );

  /**
   * Wraps an action as an onSubmit handler. `validate` runs first; the action runs only when it finds nothing.
   * A throwing action shows its error; a second submit while one is pending is ignored.
   */
  const handleSubmit = useCallback(
    (action: () => Promise<void>, validate?: () => FieldErrors<F>) => (event?: FormEvent) => {
      event?.preventDefault();
      if (pendingRef.current) return;
      const clientErrors = validate?.() ?? {};
      if (Object.keys(clientErrors).length > 0) {
        fail(clientErrors, null);
        return;
      }
      setFieldErrors({});
      setFormError(null);
      pendingRef.current = true;
      setPending(true);
      void (async () => {
        try {
          await action();
        } catch (err) {
          const error = toApiError(err);
          if (mounted.current && error.code !== 'CANCELED') applyApiError(error);
        } finally {
          pendingRef.current = false;
          if (mounted.current) setPending(false);
        }
      })();
    },
    [applyApiError, fail],
  );

  const field = useCallback(
    (name: F): FieldBinding<F> => ({ id: fieldId(name), name, error: fieldErrors[name] }),
    [fieldErrors, fieldId],
  );

  const reset = useCallback(() => {
    setFieldErrors({});
    setFormError(null);
  }, []);

  return { pending, formError, alertRef, field, fieldId, handleSubmit, reset };
}

function sentence(message: string): string {
  const m = message.trim();
  if (!m) return 'This value is not valid.';
  const capital = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
