import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import { PROBLEM_CODES, problemType } from '../lib/problem-codes';
import { ProblemReferencePage } from './problem-reference-page';

function renderAt(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <ProblemReferencePage />
    </MemoryRouter>,
  );
}

describe('PROBLEM_CODES', () => {
  it('has one entry per code, each a usable anchor and an error status', () => {
    const codes = PROBLEM_CODES.map((p) => p.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).toHaveLength(104);
    for (const p of PROBLEM_CODES) {
      expect(p.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(p.status).toBeGreaterThanOrEqual(400);
      expect(p.status).toBeLessThan(600);
      expect(p.title).not.toBe('');
      expect(p.when).not.toBe('');
      expect(p.action).not.toBe('');
    }
    expect(problemType('RATE_LIMITED')).toBe('/docs/problems#RATE_LIMITED');
    const status = Object.fromEntries(PROBLEM_CODES.map((p) => [p.code, p.status]));
    expect(status).toMatchObject({
      KEY_LIMIT_REACHED: 403,
      KEY_REVOKED: 409,
      KEY_ALREADY_ROTATED: 409,
      INVALID_SERVICE_TOKEN: 401,
      INSUFFICIENT_SCOPE: 403,
    });
  });

  it('documents the organization refusals with the status and title the server sends', () => {
    const byCode = Object.fromEntries(PROBLEM_CODES.map((p) => [p.code, { status: p.status, title: p.title }]));
    expect(byCode).toMatchObject({
      INVALID_ORGANIZATION_ID: { status: 400, title: 'Bad request' },
      ORGANIZATION_NOT_FOUND: { status: 404, title: 'Not found' },
      ORGANIZATION_ROLE_FORBIDDEN: { status: 403, title: 'Forbidden' },
      ORGANIZATION_LIMIT_REACHED: { status: 409, title: 'Conflict' },
      PERSONAL_ORGANIZATION: { status: 409, title: 'Conflict' },
      MEMBER_NOT_FOUND: { status: 404, title: 'Not found' },
      USE_LEAVE: { status: 409, title: 'Conflict' },
      OWNER_CANNOT_LEAVE: { status: 409, title: 'Conflict' },
      ALREADY_MEMBER: { status: 409, title: 'Conflict' },
      INVITATION_PENDING: { status: 409, title: 'Conflict' },
      MEMBER_LIMIT_REACHED: { status: 409, title: 'Conflict' },
      INVITATION_NOT_FOUND: { status: 404, title: 'Not found' },
      INVITATION_EXPIRED: { status: 409, title: 'Conflict' },
      INVITATION_EMAIL_MISMATCH: { status: 403, title: 'Forbidden' },
    });
  });

  it('documents every refusal of the gateway with the status and title the server sends', () => {
    const byCode = Object.fromEntries(PROBLEM_CODES.map((p) => [p.code, { status: p.status, title: p.title }]));
    expect(byCode).toMatchObject({
      API_KEY_REQUIRED: { status: 401, title: 'Authentication required' },
      INVALID_API_KEY: { status: 401, title: 'Authentication required' },
      API_KEY_REVOKED: { status: 401, title: 'Authentication required' },
      API_KEY_EXPIRED: { status: 401, title: 'Authentication required' },
      API_KEY_DISABLED: { status: 403, title: 'Forbidden' },
      PAYMENT_REQUIRED: { status: 402, title: 'Payment required' },
      RATE_LIMITED: { status: 429, title: 'Too many requests' },
      USAGE_EXCEEDED: { status: 429, title: 'Too many requests' },
      ENDPOINT_NOT_FOUND: { status: 404, title: 'Not found' },
      UPSTREAM_UNAVAILABLE: { status: 502, title: 'Bad gateway' },
      UPSTREAM_TIMEOUT: { status: 504, title: 'Timed out' },
      BAD_GATEWAY: { status: 502, title: 'Bad gateway' },
    });
  });
});

describe('ProblemReferencePage', () => {
  it('renders every code as an element whose id is the code', () => {
    const { container } = renderAt('/docs/problems');
    for (const p of PROBLEM_CODES) {
      const entry = container.querySelector(`[id="${p.code}"]`);
      expect(entry, p.code).not.toBeNull();
      expect(entry).toHaveTextContent(String(p.status));
      expect(entry).toHaveTextContent(p.title);
    }
    expect(screen.getByRole('heading', { level: 1, name: 'Error reference' })).toBeInTheDocument();
  });

  it('links the index to each anchor and highlights the targeted entry', () => {
    renderAt('/docs/problems#RATE_LIMITED');
    const index = screen.getByRole('navigation', { name: 'Problem codes' });
    expect(within(index).getByRole('link', { name: /RATE_LIMITED/ })).toHaveAttribute('href', '/docs/problems#RATE_LIMITED');

    const entry = document.getElementById('RATE_LIMITED');
    expect(entry).toHaveClass('is-target');
    expect(entry).toHaveTextContent('Too many requests');
    expect(entry).toHaveTextContent('Retry-After');
    expect(document.getElementById('NOT_FOUND')).not.toHaveClass('is-target');
  });

  it('anchors the gateway codes the playground links to', () => {
    renderAt('/docs/problems#API_KEY_REVOKED');
    const entry = document.getElementById('API_KEY_REVOKED');
    expect(entry).toHaveClass('is-target');
    expect(entry).toHaveTextContent('401');
    expect(entry).toHaveTextContent('Deprecation');
    expect(document.getElementById('UPSTREAM_TIMEOUT')).toHaveTextContent('504');
  });
});
