import { Link, useLocation } from 'react-router-dom';
import { PageHeader } from '@/components/page-header';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { PROBLEM_CODES, PROBLEM_FIELDS, problemType, type ProblemCode } from '../lib/problem-codes';
import { InlineMarkdown } from './inline-markdown';

const EXAMPLE = `HTTP/1.1 422 Unprocessable Entity
Content-Type: application/problem+json

{
  "type": "${problemType('VALIDATION_FAILED')}",
  "title": "Validation failed",
  "status": 422,
  "detail": "One or more fields are invalid.",
  "code": "VALIDATION_FAILED",
  "requestId": "5f0c2a7e9b1d4c3a8e6f0b2d4a6c8e10",
  "errors": [
    { "field": "name", "message": "is required" }
  ]
}`;

function statusTone(status: number): string {
  return status >= 500 ? 'danger' : 'warning';
}

function ProblemEntry({ problem, targeted }: { problem: ProblemCode; targeted: boolean }) {
  return (
    <li id={problem.code} tabIndex={-1} className={`problem card${targeted ? ' is-target' : ''}`}>
      <h3 className="problem__head">
        <span className={`status-code status-code--${statusTone(problem.status)}`}>{problem.status}</span>
        <Link to={{ hash: problem.code }} className="problem__code" title="Link to this entry">
          <code>{problem.code}</code>
        </Link>
        <span className="problem__title">{problem.title}</span>
      </h3>
      <dl className="problem__body">
        <dt>When</dt>
        <dd>
          <InlineMarkdown text={problem.when} />
        </dd>
        <dt>What to do</dt>
        <dd>
          <InlineMarkdown text={problem.action} />
        </dd>
        {problem.headers && (
          <>
            <dt>Headers</dt>
            <dd>
              <ul className="problem__headers">
                {problem.headers.map((h) => (
                  <li key={h}>
                    <code>{h}</code>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
      </dl>
    </li>
  );
}

export function ProblemReferencePage() {
  useDocumentTitle('Error reference');
  const { hash } = useLocation();
  const target = hash.slice(1);

  return (
    <div className="page">
      <PageHeader
        title="Error reference"
        description={
          <>
            Every error response is an{' '}
            <a href="https://www.rfc-editor.org/rfc/rfc9457" rel="noreferrer">
              RFC 9457
            </a>{' '}
            problem document with <code>Content-Type: application/problem+json</code>. Its <code>type</code> points at
            an entry on this page.
          </>
        }
        actions={
          <Link to="/docs/api" className="btn btn--secondary btn--sm">
            API reference
          </Link>
        }
      />

      <section className="problems-section" aria-labelledby="problem-fields-title">
        <h2 id="problem-fields-title" className="problems-section__title">
          Response body
        </h2>
        <p className="problems-intro">
          Branch on <code>code</code> (or <code>status</code>), never on <code>title</code> or <code>detail</code>. Members
          not listed here may be added later; ignore ones you do not know.
        </p>
        <div className="table-wrap">
          <table className="table problem-fields">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {PROBLEM_FIELDS.map((f) => (
                <tr key={f.name}>
                  <th scope="row">
                    <code>{f.name}</code>
                    <span className="muted small problem-fields__type">
                      {f.type}
                      {f.always ? '' : ' · optional'}
                    </span>
                  </th>
                  <td>
                    <InlineMarkdown text={f.description} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <pre className="problem-example" aria-label="Example problem response">
          <code>{EXAMPLE}</code>
        </pre>
      </section>

      <section className="problems-section" aria-labelledby="problem-codes-title">
        <h2 id="problem-codes-title" className="problems-section__title">
          Problem codes
        </h2>
        <nav aria-label="Problem codes">
          <ul className="problem-index">
            {PROBLEM_CODES.map((p) => (
              <li key={p.code}>
                <Link to={{ hash: p.code }} className="problem-index__link">
                  <span className="problem-index__status">{p.status}</span> {p.code}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <ul className="problems">
          {PROBLEM_CODES.map((p) => (
            <ProblemEntry key={p.code} problem={p} targeted={p.code === target} />
          ))}
        </ul>
      </section>
    </div>
  );
}
