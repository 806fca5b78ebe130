import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { SelectField, TextAreaField, TextField } from '@/components/form/fields';
import { SubmitButton } from '@/components/form/form-alert';
import { PageHeader } from '@/components/page-header';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRevealedKeyStore } from '@/stores/revealed-key-store';
import { callGateway, GatewayNetworkError } from '../api/call-gateway';
import {
  DEFAULT_PATH,
  ECHO_PREFIX,
  keyError,
  maskKey,
  METHODS,
  parseBody,
  pathError,
  reasonPhrase,
  requestPath,
  type GatewayResponse,
  type PlaygroundMethod,
} from '../lib/gateway';
import { GatewayResponseView } from './gateway-response-view';

type Field = 'path' | 'apiKey' | 'body';
type Errors = Partial<Record<Field, string>>;

type Outcome =
  | { kind: 'response'; sent: { method: PlaygroundMethod; path: string; key: string }; response: GatewayResponse }
  | { kind: 'failed'; message: string }
  | null;

const DEFAULT_BODY = '{\n  "hello": "world"\n}';

export function PlaygroundPage() {
  useDocumentTitle('API playground');
  const id = useId();
  const revealed = useRevealedKeyStore((s) => s.revealed);
  const forget = useRevealedKeyStore((s) => s.forget);
  const [method, setMethod] = useState<PlaygroundMethod>('GET');
  const [path, setPath] = useState(DEFAULT_PATH);
  // Prefilled with a secret the Keys page just showed, if it is still in memory.
  const [apiKey, setApiKey] = useState(() => useRevealedKeyStore.getState().revealed?.secret ?? '');
  const [body, setBody] = useState(DEFAULT_BODY);
  const [errors, setErrors] = useState<Errors>({});
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [announce, setAnnounce] = useState('');
  const inflight = useRef<AbortController | null>(null);
  const fieldRefs = {
    path: useRef<HTMLInputElement>(null),
    apiKey: useRef<HTMLInputElement>(null),
    body: useRef<HTMLTextAreaElement>(null),
  };

  useEffect(() => () => inflight.current?.abort(), []);

  const prefilled = revealed !== null && apiKey.trim() === revealed.secret;

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const parsedBody = method === 'POST' ? parseBody(body) : ({ ok: true, value: undefined } as const);
    const found: Errors = {
      path: pathError(path),
      apiKey: keyError(apiKey),
      body: parsedBody.ok ? undefined : parsedBody.error,
    };
    const first = (['path', 'apiKey', 'body'] as const).find((f) => found[f]);
    setErrors(found);
    if (first) {
      fieldRefs[first].current?.focus();
      return;
    }
    if (pending) return;

    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    const target = requestPath(path);
    const key = apiKey.trim();
    setPending(true);
    setAnnounce('Sending…');
    try {
      const response = await callGateway(
        { method, path: target, apiKey: key, body: parsedBody.ok ? parsedBody.value : undefined },
        controller.signal,
      );
      if (controller.signal.aborted) return;
      setOutcome({ kind: 'response', sent: { method, path: target, key }, response });
      const phrase = reasonPhrase(response.status, response.statusText);
      // A refusal is announced by its alert.
      setAnnounce(response.problem ? '' : `Answered ${response.status}${phrase ? ` ${phrase}` : ''}.`);
    } catch (err) {
      if (controller.signal.aborted) return;
      const message = err instanceof GatewayNetworkError ? err.message : 'The request could not be sent.';
      setOutcome({ kind: 'failed', message });
      setAnnounce('');
    } finally {
      if (inflight.current === controller) {
        inflight.current = null;
        setPending(false);
      }
    }
  };

  return (
    <div className="page playground-page">
      <PageHeader
        title="API playground"
        description={
          <>
            Call the gateway's built-in echo endpoint (<code>{ECHO_PREFIX}</code>) with one of your API keys and see
            exactly what an app would: status, rate-limit headers and refusals. Calls are real: they are metered and show
            up on the <Link to="/usage">Usage</Link> page.
          </>
        }
        actions={
          <Link to="/keys" className="btn btn--secondary">
            API keys
          </Link>
        }
      />

      <section className="card playground-form" aria-labelledby={`${id}-request`}>
        <h2 id={`${id}-request`} className="usage-block__title">
          Request
        </h2>
        <form noValidate onSubmit={(e) => void send(e)} className="form" aria-label="Gateway request">
          <div className="playground-form__line">
            <SelectField
              id={`${id}-method`}
              name="method"
              label="Method"
              value={method}
              onChange={(e) => setMethod(e.target.value as PlaygroundMethod)}
            >
              {METHODS.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </SelectField>
            <TextField
              id={`${id}-path`}
              name="path"
              label="Path"
              inputRef={fieldRefs.path}
              className="input--mono"
              spellCheck={false}
              autoCapitalize="none"
              autoComplete="off"
              hint={
                <>
                  At or below <code>{ECHO_PREFIX}</code>; a query string is fine.
                </>
              }
              error={errors.path}
              value={path}
              onChange={(e) => setPath(e.target.value)}
            />
          </div>
          <TextField
            id={`${id}-key`}
            name="apiKey"
            label="API key"
            inputRef={fieldRefs.apiKey}
            className="input--mono"
            spellCheck={false}
            autoCapitalize="none"
            autoComplete="off"
            placeholder="tg_live_…"
            hint={
              prefilled && revealed ? (
                <span data-testid="playground-prefilled">
                  Prefilled with the key “{revealed.name}” you just {revealed.how}. It is kept in this tab's memory only
                  and forgotten on reload.{' '}
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      forget();
                      setApiKey('');
                    }}
                  >
                    Forget it
                  </button>
                </span>
              ) : (
                <>
                  Sent as <code>X-API-Key</code>, never stored. Your dashboard session is not sent: the key alone
                  authenticates the call. Secrets are shown once, on the <Link to="/keys">API keys</Link> page.
                </>
              )
            }
            error={errors.apiKey}
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
          />
          {method === 'POST' && (
            <TextAreaField
              id={`${id}-body`}
              name="body"
              label="JSON body"
              optional
              rows={6}
              spellCheck={false}
              autoCapitalize="none"
              className="input--mono"
              textareaRef={fieldRefs.body}
              hint="Sent as application/json. Leave it empty to send no body."
              error={errors.body}
              value={body}
              onChange={(e) => setBody(e.target.value)}
            />
          )}
          <div className="form__actions">
            <SubmitButton pending={pending} pendingLabel="Sending…">
              Send request
            </SubmitButton>
          </div>
        </form>
      </section>

      <section className="card playground-result" aria-labelledby={`${id}-response`}>
        <h2 id={`${id}-response`} className="usage-block__title">
          Response
        </h2>
        <p className="sr-only" role="status" aria-live="polite">
          {announce}
        </p>
        {outcome === null && <p className="muted">Send a request to see the gateway's answer here.</p>}
        {outcome?.kind === 'failed' && (
          <div className="callout callout--danger" role="alert" data-testid="playground-failure">
            {outcome.message}
          </div>
        )}
        {outcome?.kind === 'response' && (
          <>
            <p className="muted small playground-sent" data-testid="playground-sent">
              <span className={`method method--${outcome.sent.method.toLowerCase()}`}>{outcome.sent.method}</span>{' '}
              <code>{outcome.sent.path}</code> with <code>X-API-Key: {maskKey(outcome.sent.key)}</code>
            </p>
            <GatewayResponseView response={outcome.response} />
            <p className="small muted">
              Calls made with one of your keys, refused ones included, show up on the <Link to="/usage">Usage</Link>{' '}
              page within a second or two.
            </p>
          </>
        )}
      </section>
    </div>
  );
}
