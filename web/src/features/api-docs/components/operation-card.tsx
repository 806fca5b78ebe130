import { deref, operationAnchor, refName, type OpenApiDocument, type Operation } from '../lib/openapi';
import { typeLabel } from '../lib/schema-format';
import { InlineMarkdown } from './inline-markdown';
import { SchemaView } from './schema-view';

function statusTone(code: string): string {
  if (code.startsWith('2')) return 'success';
  if (code.startsWith('3')) return 'info';
  if (code.startsWith('4')) return 'warning';
  if (code.startsWith('5')) return 'danger';
  return 'neutral';
}

export function MethodBadge({ method }: { method: string }) {
  return <span className={`method method--${method}`}>{method.toUpperCase()}</span>;
}

export function OperationCard({ doc, operation }: { doc: OpenApiDocument; operation: Operation }) {
  const { op, method, path, parameters } = operation;
  const anchor = operationAnchor(operation);
  const body = deref(doc, op.requestBody);
  const responses = Object.entries(op.responses ?? {});

  return (
    <details className="op card" id={anchor}>
      <summary className="op__summary">
        <MethodBadge method={method} />
        <code className="op__path">{path}</code>
        <span className="op__title">{op.summary}</span>
        <svg className="op__chevron" viewBox="0 0 16 16" aria-hidden="true">
          <path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" />
        </svg>
      </summary>
      <div className="op__body">
        <InlineMarkdown text={op.description} className="op__desc" />
        {op.operationId && (
          <p className="muted small">
            Operation ID <code>{op.operationId}</code>
          </p>
        )}

        <section className="op__section" aria-label="Parameters">
          <h4 className="op__heading">Parameters</h4>
          {parameters.length === 0 ? (
            <p className="muted small">None.</p>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">In</th>
                    <th scope="col">Type</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {parameters.map((p) => (
                    <tr key={`${p.in}:${p.name}`}>
                      <td>
                        <code>{p.name}</code>
                        {p.required && <span className="schema__req">required</span>}
                      </td>
                      <td>{p.in}</td>
                      <td>
                        <code>{typeLabel(doc, p.schema)}</code>
                      </td>
                      <td>{p.description ?? <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>

        {body && (
          <section className="op__section" aria-label="Request body">
            <h4 className="op__heading">
              Request body {body.required && <span className="schema__req">required</span>}
            </h4>
            <InlineMarkdown text={body.description} className="small" />
            {Object.entries(body.content ?? {}).map(([mediaType, media]) => (
              <div key={mediaType} className="media">
                <p className="media__type">
                  <code>{mediaType}</code>
                  {media.schema?.$ref && <span className="muted"> · {refName(media.schema.$ref)}</span>}
                </p>
                <SchemaView doc={doc} schema={media.schema} />
              </div>
            ))}
          </section>
        )}

        <section className="op__section" aria-label="Responses">
          <h4 className="op__heading">Responses</h4>
          {responses.length === 0 ? (
            <p className="muted small">No responses documented.</p>
          ) : (
            <ul className="responses">
              {responses.map(([code, raw]) => {
                const res = deref(doc, raw);
                const content = Object.entries(res?.content ?? {});
                const headers = Object.keys(res?.headers ?? {});
                return (
                  <li key={code} className="response">
                    <div className="response__head">
                      <span className={`status-code status-code--${statusTone(code)}`}>{code}</span>
                      <div>
                        <InlineMarkdown text={res?.description} className="response__desc" />
                      </div>
                    </div>
                    {headers.length > 0 && (
                      <p className="muted small">
                        Headers:{' '}
                        {headers.map((h, i) => (
                          <span key={h}>
                            {i > 0 && ', '}
                            <code>{h}</code>
                          </span>
                        ))}
                      </p>
                    )}
                    {content.map(([mediaType, media]) => (
                      <details key={mediaType} className="media media--collapsible">
                        <summary>
                          <code>{mediaType}</code>
                          {media.schema && <span className="muted"> · {typeLabel(doc, media.schema)}</span>}
                        </summary>
                        <SchemaView doc={doc} schema={media.schema} />
                      </details>
                    ))}
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      </div>
    </details>
  );
}
