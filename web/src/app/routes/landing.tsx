import { Link } from 'react-router-dom';
import { useDocumentTitle } from '@/hooks/use-document-title';

const FEATURES = [
  {
    title: 'API keys',
    text: 'Issue, rotate and revoke keys per customer, each tied to an account and a plan.',
  },
  {
    title: 'Metering',
    text: 'Every request through the gateway is counted per key and endpoint, ready for usage-based plans.',
  },
  {
    title: 'Rate limits',
    text: 'Per-plan limits with standard RateLimit headers and Retry-After, so clients can back off politely.',
  },
  {
    title: 'Stripe billing',
    text: 'Plans, subscriptions and usage reporting wired to Stripe instead of a spreadsheet.',
  },
  {
    title: 'Consistent errors',
    text: 'Every failure is an RFC 9457 problem document with a stable code and a request ID.',
  },
  {
    title: 'Built to operate',
    text: 'Liveness, readiness and Prometheus metrics out of the box. One C++ binary, PostgreSQL, optional Redis.',
  },
];

export function LandingPage() {
  useDocumentTitle(undefined);
  return (
    <div className="landing">
      <div className="hero-grid">
      <section className="hero" aria-labelledby="hero-title">
        <p className="eyebrow">Open-source API monetization</p>
        <h1 id="hero-title" className="hero__title">
          Sell access to your API, <span className="hero__accent">without building the plumbing.</span>
        </h1>
        <p className="hero__lede">
          Tollgate sits in front of your API and handles accounts, API keys, metering, rate limits and Stripe billing,
          so you can ship the product instead of the gatekeeping.
        </p>
        <div className="hero__actions">
          <Link to="/docs/api" className="btn btn--primary btn--lg">
            Explore the API
          </Link>
          <Link to="/pricing" className="btn btn--secondary btn--lg">
            See pricing
          </Link>
          <Link to="/status" className="btn btn--secondary btn--lg">
            Check system status
          </Link>
        </div>
      </section>

      <section className="code-card card" aria-label="Example error response">
        <div className="code-card__bar">
          <span className="code-card__dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          <span className="code-card__title">429 Too Many Requests</span>
        </div>
        <pre className="code-card__pre">
          <code>{`HTTP/1.1 429 Too Many Requests
Content-Type: application/problem+json
Retry-After: 12
RateLimit-Policy: "ip";q=100;w=900
RateLimit: "ip";r=0;t=12

{
  "type": "/docs/problems#RATE_LIMITED",
  "title": "Too many requests",
  "status": 429,
  "detail": "Rate limit exceeded; retry after the Retry-After interval.",
  "code": "RATE_LIMITED",
  "requestId": "5f0c2a7e9b1d4c3a8e6f0b2d4a6c8e10"
}`}</code>
        </pre>
      </section>
      </div>

      <section className="features" aria-labelledby="features-title">
        <h2 id="features-title" className="section-title">
          Everything between a request and an invoice
        </h2>
        <ul className="features__grid">
          {FEATURES.map((f) => (
            <li key={f.title} className="feature card">
              <h3 className="feature__title">{f.title}</h3>
              <p className="feature__text">{f.text}</p>
            </li>
          ))}
        </ul>
      </section>

      <section className="cta card" aria-labelledby="cta-title">
        <div>
          <h2 id="cta-title" className="cta__title">
            Running your own Tollgate?
          </h2>
          <p className="cta__text">See whether this server is ready, or browse every endpoint it exposes.</p>
        </div>
        <div className="cta__actions">
          <Link to="/status" className="btn btn--secondary">
            View status
          </Link>
          <Link to="/docs/api" className="btn btn--primary">
            Read the API reference
          </Link>
        </div>
      </section>
    </div>
  );
}
