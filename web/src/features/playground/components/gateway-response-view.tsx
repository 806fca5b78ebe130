import { Link } from 'react-router-dom';
import { Badge } from '@/components/badge';
import { formatDateTime, formatNumber } from '@/lib/format';
import { problemHint, reasonPhrase, type GatewayResponse } from '../lib/gateway';

function statusTone(status: number): string {
  if (status >= 500) return 'danger';
  if (status >= 400) return 'warning';
  if (status >= 300) return 'info';
  return 'success';
}

function ProblemCallout({ response }: { response: GatewayResponse }) {
  const problem = response.problem;
  if (!problem) return null;
  const hint = problemHint(problem.code);
  return (
    <div className="callout callout--danger playground-problem" role="alert" data-testid="playground-problem">
      <p className="playground-problem__head">
        <strong>Refused: {problem.title}</strong> <code data-testid="playground-problem-code">{problem.code}</code>
      </p>
      {problem.detail && <p>{problem.detail}</p>}
      {hint && <p>{hint}</p>}
      <p className="small">
        <Link to={`/docs/problems#${encodeURIComponent(problem.code)}`}>What {problem.code} means</Link>
        {problem.requestId && (
          <>
            {' '}
            · Request ID <code>{problem.requestId}</code>
          </>
        )}
      </p>
    </div>
  );
}

/** Status, the headers worth reading (highlighted), every header, and the body pretty-printed. */
export function GatewayResponseView({ response }: { response: GatewayResponse }) {
  const { rateLimit, deprecation } = response;
  return (
    <div className="playground-response" data-testid="playground-response">
      <p className="playground-response__status" data-testid="playground-status">
        <span className={`status-code status-code--${statusTone(response.status)}`}>{response.status}</span>{' '}
        <span>{reasonPhrase(response.status, response.statusText)}</span>
        <span className="muted small"> · {formatNumber(response.durationMs)} ms</span>
      </p>

      <ProblemCallout response={response} />

      {deprecation && (
        <div className="callout callout--warning" data-testid="playground-deprecation">
          <strong>This key is deprecated.</strong> It was replaced by a rotation and works only during its grace period
          {deprecation.sunset ? (
            <>
              : it stops working{' '}
              {deprecation.sunsetDate ? (
                <time dateTime={deprecation.sunsetDate.toISOString()}>{formatDateTime(deprecation.sunsetDate.toISOString())}</time>
              ) : (
                deprecation.sunset
              )}{' '}
              (<code>Sunset</code>)
            </>
          ) : null}
          . Switch to the new key before then.
        </div>
      )}

      {rateLimit && (
        <p className="playground-ratelimit small" data-testid="playground-ratelimit">
          Rate limit: <strong>{formatNumber(rateLimit.remaining)}</strong> of {formatNumber(rateLimit.limit)} requests left
          in this window
          {rateLimit.reset !== undefined && <>, resets in {formatNumber(rateLimit.reset)} s</>}.
        </p>
      )}

      <h3 className="playground-response__title">Headers</h3>
      <div className="table-wrap">
        <table className="table playground-headers" data-testid="playground-headers">
          <caption className="sr-only">Response headers; highlighted ones first</caption>
          <thead>
            <tr>
              <th scope="col">Header</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {response.headers.map((h) => (
              <tr
                key={h.name}
                className={h.note ? 'is-highlighted' : undefined}
                data-testid="playground-header"
                data-header={h.name}
                data-highlighted={h.note ? 'true' : undefined}
              >
                <th scope="row">
                  <code>{h.name}</code>
                  {h.note && (
                    <>
                      {' '}
                      <Badge tone="info">{h.note}</Badge>
                    </>
                  )}
                </th>
                <td>
                  <code className="playground-headers__value">{h.value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {response.headers.length === 0 && <p className="muted small">No headers could be read.</p>}

      <h3 className="playground-response__title">
        Body{' '}
        <span className="muted small">
          {response.contentType ? `(${response.contentType}${response.isJson ? ', pretty-printed' : ''})` : ''}
        </span>
      </h3>
      {response.body ? (
        <pre className="playground-body" data-testid="playground-body" tabIndex={0} aria-label="Response body">
          <code>{response.body}</code>
        </pre>
      ) : (
        <p className="muted small">Empty body.</p>
      )}
    </div>
  );
}
