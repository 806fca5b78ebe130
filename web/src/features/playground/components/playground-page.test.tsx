import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import { useRevealedKeyStore } from '@/stores/revealed-key-store';
import { PlaygroundPage } from './playground-page';

const SECRET = 'tg_live_3xAmPlE0kEy1234567890abcdefghijklmnopqrstuvw0AbCdE';

type FetchArgs = [input: RequestInfo | URL, init?: RequestInit];

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json') {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': contentType, ...headers } });
}

function echo(init: { method?: string; body?: string } = {}) {
  return jsonResponse(
    200,
    {
      method: init.method ?? 'GET',
      path: '/echo/hello',
      query: 'source=playground',
      headers: { accept: 'application/json' },
      body: init.body ?? '',
      receivedAt: '2025-01-02T10:00:00.000Z',
    },
    {
      'RateLimit-Limit': '60',
      'RateLimit-Remaining': '59',
      'RateLimit-Reset': '42',
      'X-Request-ID': 'req-123',
      'Cache-Control': 'no-store',
    },
  );
}

function mockFetch(answer: (...args: FetchArgs) => Promise<Response> | Response) {
  const fn = vi.fn(async (...args: FetchArgs) => answer(...args));
  vi.stubGlobal('fetch', fn);
  return fn;
}

function sentHeaders(fn: ReturnType<typeof mockFetch>, call = 0): Headers {
  const init = fn.mock.calls[call]?.[1];
  return new Headers(init?.headers);
}

function renderPage() {
  return render(
    <TestRouter url="/playground">
      <PlaygroundPage />
    </TestRouter>,
  );
}

describe('PlaygroundPage', () => {
  beforeEach(() => {
    useRevealedKeyStore.setState({ revealed: null });
    // The dashboard session exists, but must never reach the gateway.
    signInAs();
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    resetAuth();
    useRevealedKeyStore.setState({ revealed: null });
  });

  it('prefills the secret just revealed and sends it as X-API-Key only, without the dashboard token or cookies', async () => {
    const user = userEvent.setup();
    useRevealedKeyStore.getState().remember({ id: 'k1', name: 'Production server', prefix: SECRET.slice(0, 16), secret: SECRET, how: 'created' });
    const fetchFn = mockFetch(() => echo());
    renderPage();

    expect(screen.getByLabelText('API key')).toHaveValue(SECRET);
    expect(screen.getByTestId('playground-prefilled')).toHaveTextContent('Prefilled with the key “Production server” you just created');
    expect(screen.getByLabelText('Path')).toHaveValue('/gw/echo/hello?source=playground');

    await user.click(screen.getByRole('button', { name: 'Send request' }));
    await screen.findByTestId('playground-response');

    expect(fetchFn).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe('/gw/echo/hello?source=playground');
    expect(init?.method).toBe('GET');
    expect(init?.credentials).toBe('omit');
    expect(init?.body).toBeUndefined();
    const headers = sentHeaders(fetchFn);
    expect(headers.get('X-API-Key')).toBe(SECRET);
    expect(headers.has('Authorization')).toBe(false);

    expect(screen.getByTestId('playground-status')).toHaveTextContent(/^200 OK/);
    expect(screen.getByTestId('playground-sent')).toHaveTextContent('GET /gw/echo/hello?source=playground with X-API-Key: tg_live_3xAm…bCdE');
    expect(screen.getByTestId('playground-ratelimit')).toHaveTextContent('59 of 60 requests left in this window, resets in 42 s.');
    expect(screen.queryByTestId('playground-problem')).not.toBeInTheDocument();
    expect(screen.queryByTestId('playground-deprecation')).not.toBeInTheDocument();

    const rows = screen.getAllByTestId('playground-header');
    const highlighted = rows.filter((r) => r.dataset.highlighted === 'true').map((r) => r.dataset.header);
    expect(highlighted).toEqual(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id']);
    // Highlighted first, each labelled with why it matters.
    expect(rows[0]).toHaveTextContent('ratelimit-limit');
    expect(within(rows[0]!).getByText('Rate limit')).toBeInTheDocument();
    expect(rows.find((r) => r.dataset.header === 'x-request-id')).toHaveTextContent('Request ID');
    expect(rows.find((r) => r.dataset.header === 'cache-control')).not.toHaveClass('is-highlighted');

    // Pretty-printed JSON.
    expect(screen.getByTestId('playground-body').textContent).toContain('\n  "method": "GET",\n');
    expect(screen.getByRole('status')).toHaveTextContent('Answered 200 OK.');
  });

  it('posts a JSON body after checking it, and never sends it with GET', async () => {
    const user = userEvent.setup();
    const fetchFn = mockFetch((_url, init) => echo({ method: 'POST', body: String(init?.body ?? '') }));
    renderPage();

    expect(screen.queryByLabelText(/JSON body/)).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('API key'), SECRET);
    await user.selectOptions(screen.getByLabelText('Method'), 'POST');
    const body = screen.getByLabelText(/JSON body/);
    await user.clear(body);
    await user.type(body, '{{"order": 1');
    await user.click(screen.getByRole('button', { name: 'Send request' }));
    expect(body).toHaveAccessibleDescription(expect.stringContaining('not valid JSON'));
    expect(body).toHaveFocus();
    expect(fetchFn).not.toHaveBeenCalled();

    await user.type(body, '}');
    await user.click(screen.getByRole('button', { name: 'Send request' }));
    await screen.findByTestId('playground-response');
    const [, init] = fetchFn.mock.calls[0]!;
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"order": 1}');
    expect(sentHeaders(fetchFn).get('Content-Type')).toBe('application/json');
    expect(screen.getByTestId('playground-body')).toHaveTextContent('"body": "{\\"order\\": 1}"');
  });

  it('shows a problem+json refusal clearly, with a link to its reference entry', async () => {
    const user = userEvent.setup();
    mockFetch(() =>
      jsonResponse(
        401,
        {
          type: '/docs/problems#API_KEY_REVOKED',
          title: 'Authentication required',
          status: 401,
          code: 'API_KEY_REVOKED',
          detail: 'The API key was revoked.',
          requestId: 'req-401',
        },
        { 'WWW-Authenticate': 'Bearer', 'X-Request-ID': 'req-401' },
        'application/problem+json',
      ),
    );
    renderPage();
    await user.type(screen.getByLabelText('API key'), SECRET);
    await user.click(screen.getByRole('button', { name: 'Send request' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveAttribute('data-testid', 'playground-problem');
    expect(alert).toHaveTextContent('Refused: Authentication required API_KEY_REVOKED');
    expect(alert).toHaveTextContent('The API key was revoked.');
    expect(alert).toHaveTextContent('Revoked keys never work again');
    expect(alert).toHaveTextContent('Request ID req-401');
    expect(within(alert).getByRole('link', { name: 'What API_KEY_REVOKED means' })).toHaveAttribute('href', '/docs/problems#API_KEY_REVOKED');
    expect(screen.getByTestId('playground-status')).toHaveTextContent(/^401 Unauthorized/);
    expect(screen.getByTestId('playground-body')).toHaveTextContent('"code": "API_KEY_REVOKED"');
  });

  it('warns when the key is a rotated one in its grace period', async () => {
    const user = userEvent.setup();
    const response = echo();
    response.headers.set('Deprecation', 'true');
    response.headers.set('Sunset', 'Wed, 01 Jan 2031 00:00:00 GMT');
    mockFetch(() => response);
    renderPage();
    await user.type(screen.getByLabelText('API key'), SECRET);
    await user.click(screen.getByRole('button', { name: 'Send request' }));

    const warning = await screen.findByTestId('playground-deprecation');
    expect(warning).toHaveTextContent('This key is deprecated.');
    expect(warning.querySelector('time')).toHaveAttribute('dateTime', '2031-01-01T00:00:00.000Z');
    const highlighted = screen.getAllByTestId('playground-header').filter((r) => r.dataset.highlighted === 'true');
    expect(highlighted.map((r) => r.dataset.header)).toEqual(expect.arrayContaining(['deprecation', 'sunset']));
  });

  it('only calls paths under /gw/echo and needs a key', async () => {
    const user = userEvent.setup();
    const fetchFn = mockFetch(() => echo());
    renderPage();
    const path = screen.getByLabelText('Path');
    await user.clear(path);
    await user.type(path, '/gw/echo/../../api/user/profile');
    await user.click(screen.getByRole('button', { name: 'Send request' }));
    expect(path).toHaveAccessibleDescription(expect.stringContaining('must start with /gw/echo'));
    expect(path).toHaveFocus();
    expect(screen.getByLabelText('API key')).toHaveAccessibleDescription(expect.stringContaining('Paste an API key'));
    expect(fetchFn).not.toHaveBeenCalled();

    await user.clear(path);
    await user.type(path, '/gw/echo/orders/7');
    await user.type(screen.getByLabelText('API key'), SECRET);
    await user.click(screen.getByRole('button', { name: 'Send request' }));
    await waitFor(() => expect(fetchFn).toHaveBeenCalledWith('/gw/echo/orders/7', expect.anything()));
  });

  it('says so when the gateway cannot be reached', async () => {
    const user = userEvent.setup();
    mockFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    renderPage();
    await user.type(screen.getByLabelText('API key'), SECRET);
    await user.click(screen.getByRole('button', { name: 'Send request' }));
    expect(await screen.findByTestId('playground-failure')).toHaveTextContent('Could not reach the gateway.');
    expect(screen.queryByTestId('playground-response')).not.toBeInTheDocument();
  });

  it('forgets the remembered secret on request, and on sign-out', async () => {
    const user = userEvent.setup();
    const remembered = { id: 'k1', name: 'CI', prefix: SECRET.slice(0, 16), secret: SECRET, how: 'rotated' as const };
    useRevealedKeyStore.getState().remember(remembered);
    renderPage();
    expect(screen.getByTestId('playground-prefilled')).toHaveTextContent('you just rotated');
    await user.click(screen.getByRole('button', { name: 'Forget it' }));
    expect(screen.getByLabelText('API key')).toHaveValue('');
    expect(useRevealedKeyStore.getState().revealed).toBeNull();

    useRevealedKeyStore.getState().remember(remembered);
    resetAuth();
    expect(useRevealedKeyStore.getState().revealed).toBeNull();
  });
});
