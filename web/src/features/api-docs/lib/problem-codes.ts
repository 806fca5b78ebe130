/**
 * Every `code` the server can put in an RFC 9457 problem document, in the order the
 * error reference lists them. The server sets `type` to `/docs/problems#<code>`, so each
 * code is also the anchor of its entry on the /docs/problems page.
 * Keep in sync with `problem_info()` in src/http/problem.cpp.
 */
export interface ProblemCode {
  /** Stable, machine-readable code; also the HTML id of the entry. */
  code: string;
  status: number;
  /** Exactly the `title` the server sends. */
  title: string;
  /** When the server answers with this problem. */
  when: string;
  /** What a client should do about it. */
  action: string;
  /** Response headers worth reading, if any. */
  headers?: readonly string[];
}

export const PROBLEM_CODES = [
  {
    code: 'BAD_REQUEST',
    status: 400,
    title: 'Bad request',
    when: 'The request could not be understood, for example it is not well-formed HTTP/1.1 or a parameter has the wrong shape.',
    action: 'Fix the request as described in `detail`; repeating it unchanged will fail again.',
  },
  {
    code: 'MALFORMED_JSON',
    status: 400,
    title: 'Malformed JSON',
    when: 'The request body was declared as JSON but does not parse as JSON.',
    action: 'Serialize the body with a JSON library rather than by hand, and check for truncation or trailing commas.',
  },
  {
    code: 'INVALID_UTF8',
    status: 400,
    title: 'Invalid UTF-8',
    when: 'The request body contains bytes that are not valid UTF-8.',
    action: 'Encode all text as UTF-8 before sending it.',
  },
  {
    code: 'INVALID_SIGNATURE',
    status: 400,
    title: 'Bad request',
    when: 'A Stripe webhook delivery whose `Stripe-Signature` header is missing, malformed, too old or too new (more than 300 s), or does not match the body with any configured secret. Nothing is stored.',
    action: "Check `STRIPE_WEBHOOK_SECRET` against the endpoint's signing secret in the Stripe dashboard; Stripe retries the delivery by itself.",
  },
  {
    code: 'INVALID_WEBHOOK_EVENT',
    status: 400,
    title: 'Bad request',
    when: 'A correctly signed webhook body that is not a Stripe event (no `id`, `type` or `object: event`).',
    action: 'Only point Stripe event deliveries at this endpoint.',
  },
  {
    code: 'INVALID_TOKEN',
    status: 400,
    title: 'Bad request',
    when: 'An email-verification or password-reset token is unknown, already used or expired (verification links live 24 hours, reset links 1 hour).',
    action: 'Ask for a new link (`POST /api/auth/resend-verification` or `POST /api/auth/forgot-password`) and use the newest email.',
  },
  {
    code: 'VALIDATION_FAILED',
    status: 422,
    title: 'Validation failed',
    when: 'The body is valid JSON but one or more fields break the contract (missing, wrong type, out of range).',
    action: 'Read `errors[]`: each item names the `field` and a `message`; fix those fields and send the request again.',
  },
  {
    code: 'UNAUTHORIZED',
    status: 401,
    title: 'Authentication required',
    when: 'The request has no credentials, or the credentials are invalid, expired or revoked.',
    action: 'Send valid credentials (for example a current API key) and retry; do not retry with the same ones.',
  },
  {
    code: 'INVALID_CREDENTIALS',
    status: 401,
    title: 'Authentication required',
    when: 'Sign-in failed: the email is unknown or the password is wrong (the answer is the same for both, on purpose).',
    action: 'Check the email and password. After five failures in 15 minutes the account locks for a while.',
  },
  {
    code: 'INVALID_REFRESH_TOKEN',
    status: 401,
    title: 'Authentication required',
    when: 'The refresh token is missing, unknown, expired or revoked, or it was already used (then its whole session family is revoked).',
    action: 'Sign in again. Never reuse a refresh token: each refresh returns a new one.',
  },
  {
    code: 'INVALID_MFA_CODE',
    status: 401,
    title: 'Authentication required',
    when: 'The two-factor code is wrong, or is a TOTP code whose 30-second step was already used (codes cannot be replayed). Account endpoints that need a code (`/api/user/2fa/enable`, `disable`, `recovery-codes`) answer the same code with status 400 and title `Bad request`, since the session itself is fine.',
    action: 'Enter the code the authenticator app shows now (check the device clock), or a recovery code where one is accepted.',
  },
  {
    code: 'INVALID_MFA_TOKEN',
    status: 401,
    title: 'Authentication required',
    when: 'The `mfaToken` of a two-factor sign-in is unknown, expired (it lives 5 minutes), already used, or was burned after 5 wrong codes.',
    action: 'Start again with `POST /api/auth/login` to get a new challenge.',
  },
  {
    code: 'INVALID_SERVICE_TOKEN',
    status: 401,
    title: 'Authentication required',
    when: 'A call to the verification API (`POST /v1/keys/verify`) has no `Authorization: Bearer` service token, or the token is unknown, revoked or expired. Service tokens (`tg_svc_…`) are created by the operator with `tollgate service-token create`; an API key or a dashboard access token is not a service token.',
    action: 'Send a current service token. Do not retry with the same one: ask the operator for a new token if it was revoked or has expired.',
  },
  {
    code: 'API_KEY_REQUIRED',
    status: 401,
    title: 'Authentication required',
    when: 'A gateway call (`/gw/…`) to an endpoint that is not public carried no API key: neither an `X-API-Key` header nor `Authorization: Bearer <key>`.',
    action: 'Send the API key in `X-API-Key` (or as a bearer token) on every call. The answer carries `WWW-Authenticate: Bearer`.',
    headers: ['WWW-Authenticate'],
  },
  {
    code: 'INVALID_API_KEY',
    status: 401,
    title: 'Authentication required',
    when: 'A gateway call carried an API key that this Tollgate does not know: mistyped, truncated, from another installation, or not an API key at all (a dashboard access token or a service token is not one).',
    action: 'Check that the whole key was sent (`tg_live_…` or `tg_test_…`). Do not retry with the same value; create a new key if it is lost.',
    headers: ['WWW-Authenticate'],
  },
  {
    code: 'API_KEY_REVOKED',
    status: 401,
    title: 'Authentication required',
    when: 'A gateway call used an API key that was revoked, or a rotated key whose grace period has ended. Revocation takes effect within about a second on every server. During the grace period calls still succeed, with `Deprecation` and `Sunset` headers.',
    action: 'Use a current key: the replacement from the rotation, or a new key. A revoked key never works again.',
    headers: ['WWW-Authenticate'],
  },
  {
    code: 'API_KEY_EXPIRED',
    status: 401,
    title: 'Authentication required',
    when: 'A gateway call used an API key past its `expiresAt`.',
    action: 'Rotate the key (the replacement keeps its settings) or create a new one, and deploy it.',
    headers: ['WWW-Authenticate'],
  },
  {
    code: 'PAYMENT_REQUIRED',
    status: 402,
    title: 'Payment required',
    when: "A gateway call was refused because the subscription of the key's organization is past due and its payment grace period has ended.",
    action: 'The account owner should settle the invoice or update the payment method; calls work again as soon as the payment goes through. Retrying does not help until then.',
  },
  {
    code: 'PAYMENT_FAILED',
    status: 402,
    title: 'Payment required',
    when: 'Stripe declined the payment a plan change needed (for example the card was declined). The plan did not change.',
    action: 'Update the payment method (Billing → Payment methods or the Stripe portal) and try again.',
  },
  {
    code: 'ACCOUNT_SUSPENDED',
    status: 403,
    title: 'Forbidden',
    when: 'The password was right but an administrator suspended the account.',
    action: 'Contact the operator of this Tollgate instance.',
  },
  {
    code: 'INVALID_PASSWORD',
    status: 403,
    title: 'Forbidden',
    when: 'A signed-in request that re-checks the password (change password or email, two-factor setup or disable, delete account) sent the wrong current password. It is 403, not 401: the session is still valid.',
    action: 'Ask the user for their current password again; do not sign them out.',
  },
  {
    code: 'FORBIDDEN',
    status: 403,
    title: 'Forbidden',
    when: 'The caller is authenticated but is not allowed to perform this operation on this resource.',
    action: 'Use credentials with the required access, or ask an administrator to grant it.',
  },
  {
    code: 'ADMIN_2FA_REQUIRED',
    status: 403,
    title: 'Forbidden',
    when: 'An administrator called an `/api/admin/*` route without two-factor authentication enabled on their account.',
    action: 'Turn on two-factor authentication in Account settings, sign in again, and retry.',
  },
  {
    code: 'INSUFFICIENT_SCOPE',
    status: 403,
    title: 'Forbidden',
    when: 'The service token is valid but lacks the scope the endpoint needs, for example `keys:verify` for `POST /v1/keys/verify`.',
    action: 'Use a token created with the required scope, or ask the operator to issue one.',
  },
  {
    code: 'KEY_LIMIT_REACHED',
    status: 403,
    title: 'Forbidden',
    when: "Creating an API key, or enabling a disabled one, would give the organization more active keys than its plan allows (the free plan allows 2). Revoked and disabled keys do not count.",
    action: 'Revoke or disable a key you no longer need, or move to a plan with more keys, then try again. `GET /api/user/api-keys` shows the allowance.',
  },
  {
    code: 'API_KEY_DISABLED',
    status: 403,
    title: 'Forbidden',
    when: 'A gateway call used an API key that is disabled, or whose owner account or organization is suspended.',
    action: 'Enable the key on the API keys page (or `PATCH /api/user/api-keys/{id}` with `status: active`), or use another key.',
  },
  {
    code: 'CORS_ORIGIN_DENIED',
    status: 403,
    title: 'Origin not allowed',
    when: "A browser request came from an `Origin` that is not on the server's CORS allow-list.",
    action: "Call the API from an allowed origin, or ask the operator to add your origin to the server's CORS configuration.",
  },
  {
    code: 'NOT_FOUND',
    status: 404,
    title: 'Not found',
    when: 'There is no route at this path, or the resource it names does not exist (or is not visible to you).',
    action: 'Check the path and identifier against the API reference.',
  },
  {
    code: 'INVALID_PATH',
    status: 400,
    title: 'Bad request',
    when: 'A gateway path (`/gw/…`) contains `.` or `..` segments or encoded separators (`%2e`, `%2f`, `%5c`), which an upstream could resolve to a different path than the one matched.',
    action: 'Send the canonical path, without dot segments or encoded slashes.',
  },
  {
    code: 'ENDPOINT_NOT_FOUND',
    status: 404,
    title: 'Not found',
    when: 'No endpoint of the API catalog matches the method and path of a gateway call (`/gw/…`); disabled endpoints do not match. The call is not metered.',
    action: 'Check the method and the path below `/gw` against the endpoints your provider publishes; the built-in `/gw/echo` always exists.',
  },
  {
    code: 'PLAN_NOT_FOUND',
    status: 404,
    title: 'Not found',
    when: 'The plan named by slug or id does not exist.',
    action: 'List the plans with `GET /api/plans` and use one of their slugs.',
  },
  {
    code: 'INVOICE_NOT_FOUND',
    status: 404,
    title: 'Not found',
    when: 'No invoice with this id belongs to the active organization.',
    action: 'List invoices with `GET /api/user/billing/invoices`.',
  },
  {
    code: 'PAYMENT_METHOD_NOT_FOUND',
    status: 404,
    title: 'Not found',
    when: "No saved card with this id belongs to the active organization (another organization's card answers the same).",
    action: 'List cards with `GET /api/user/billing/payment-methods`.',
  },
  {
    code: 'METHOD_NOT_ALLOWED',
    status: 405,
    title: 'Method not allowed',
    when: 'The path exists but does not accept this HTTP method.',
    action: 'Use one of the methods listed in the `Allow` response header.',
    headers: ['Allow'],
  },
  {
    code: 'CONFLICT',
    status: 409,
    title: 'Conflict',
    when: 'The request clashes with the current state: the resource already exists, a referenced resource is missing or in use, or a concurrent update won.',
    action: 'Read `detail`, fetch the current state, and retry only if the conflict was a concurrent update.',
  },
  {
    code: 'EMAIL_TAKEN',
    status: 409,
    title: 'Conflict',
    when: 'Registration or an email change names an address that already has an account (compared case-insensitively), or an email-change link is opened after another account took the new address.',
    action: 'Sign in instead, reset the password if it is forgotten, or choose another address.',
  },
  {
    code: 'TWO_FACTOR_ALREADY_ENABLED',
    status: 409,
    title: 'Conflict',
    when: 'Two-factor setup was started on an account that already has two-factor authentication on.',
    action: 'Nothing to do; to move to a new device, turn two-factor off and set it up again.',
  },
  {
    code: 'TWO_FACTOR_NOT_PENDING',
    status: 409,
    title: 'Conflict',
    when: 'A code was sent to confirm two-factor enrolment, but no setup is pending (it was never started, or already confirmed).',
    action: 'Start again with `POST /api/user/2fa/setup`.',
  },
  {
    code: 'TWO_FACTOR_NOT_ENABLED',
    status: 409,
    title: 'Conflict',
    when: 'Disabling two-factor authentication or regenerating recovery codes on an account where it is off.',
    action: 'Set up two-factor authentication first.',
  },
  {
    code: 'KEY_REVOKED',
    status: 409,
    title: 'Conflict',
    when: 'The API key was revoked, so it can no longer be renamed, enabled, disabled, changed or rotated. Revoking is permanent.',
    action: 'Create a new key instead. Revoking again is harmless: `DELETE` is idempotent.',
  },
  {
    code: 'KEY_ALREADY_ROTATED',
    status: 409,
    title: 'Conflict',
    when: 'The API key was already replaced by a rotation; only the newest key of a rotation chain can be rotated.',
    action: 'Rotate the replacement key instead. The old key keeps working until its `graceEndsAt`.',
  },
  {
    code: 'LOCAL_BILLING_MODE',
    status: 409,
    title: 'Conflict',
    when: 'Billing runs in local mode (no `STRIPE_SECRET_KEY`): there is no Stripe checkout, portal or card to open.',
    action: 'Change plans with `POST /api/user/subscription/change`; they apply at once in local mode.',
  },
  {
    code: 'ALREADY_SUBSCRIBED',
    status: 409,
    title: 'Conflict',
    when: 'Checkout was asked for an organization that already has a Stripe subscription.',
    action: 'Change the plan in place: preview with `/api/user/subscription/preview`, then `/api/user/subscription/change`.',
  },
  {
    code: 'NO_SUBSCRIPTION',
    status: 409,
    title: 'Conflict',
    when: 'A plan change was asked in Stripe mode for an organization without a paid subscription.',
    action: 'Subscribe through `POST /api/user/subscription/checkout` first.',
  },
  {
    code: 'USE_CANCEL',
    status: 409,
    title: 'Conflict',
    when: 'A change to the Free plan was asked in Stripe mode.',
    action: 'Cancel at period end with `POST /api/user/subscription/cancel`; the organization moves to Free when the period ends.',
  },
  {
    code: 'ALREADY_ON_PLAN',
    status: 409,
    title: 'Conflict',
    when: 'The organization is already on this plan and interval.',
    action: 'Nothing to do; choose another plan or interval.',
  },
  {
    code: 'FREE_PLAN',
    status: 409,
    title: 'Conflict',
    when: 'Checkout was asked for the Free plan, which needs no payment.',
    action: 'Nothing to buy: every organization starts on Free.',
  },
  {
    code: 'PLAN_ARCHIVED',
    status: 409,
    title: 'Conflict',
    when: 'The plan is archived: existing subscribers keep it, but nobody can move to it.',
    action: 'Choose an active plan from `GET /api/plans`.',
  },
  {
    code: 'PLAN_NOT_SYNCED',
    status: 409,
    title: 'Conflict',
    when: 'The plan has no Stripe price yet (the sync job has not run, or failed).',
    action: "Try again in a minute; an operator can check the plan's sync state in the admin plan list.",
  },
  {
    code: 'NOTHING_TO_CANCEL',
    status: 409,
    title: 'Conflict',
    when: 'Cancellation was asked on the Free plan.',
    action: 'Nothing to do.',
  },
  {
    code: 'ALREADY_CANCELING',
    status: 409,
    title: 'Conflict',
    when: 'The subscription is already set to end at the end of its period.',
    action: 'Nothing to do; resume it with `POST /api/user/subscription/resume` to keep it.',
  },
  {
    code: 'NOT_CANCELING',
    status: 409,
    title: 'Conflict',
    when: 'Resume was asked, but no cancellation is scheduled.',
    action: 'Nothing to do.',
  },
  {
    code: 'STRIPE_NOT_CONFIGURED',
    status: 409,
    title: 'Conflict',
    when: 'The subscription is managed by Stripe, but this instance has no `STRIPE_SECRET_KEY`.',
    action: 'An operator must configure Stripe to change it.',
  },
  {
    code: 'PLAN_SLUG_TAKEN',
    status: 409,
    title: 'Conflict',
    when: 'A plan with this slug already exists.',
    action: 'Choose another slug, or edit the existing plan.',
  },
  {
    code: 'INVOICE_NOT_PAYABLE',
    status: 409,
    title: 'Conflict',
    when: 'Only open or failed local invoices can be marked paid; this one is a Stripe invoice or already paid or void.',
    action: 'Stripe invoices are paid through Stripe; nothing to do for a paid one.',
  },
  {
    code: 'PAYLOAD_TOO_LARGE',
    status: 413,
    title: 'Payload too large',
    when: 'The request body is larger than the server accepts (1 MiB by default; operators can change the limit).',
    action: 'Send a smaller body, for example by splitting the work into several requests.',
  },
  {
    code: 'HEADERS_TOO_LARGE',
    status: 431,
    title: 'Request header fields too large',
    when: 'The request headers, taken together, exceed the server limit; oversized cookies are a common cause.',
    action: 'Remove unneeded headers or cookies and send the request again.',
  },
  {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    title: 'Unsupported media type',
    when: 'The request has a body whose `Content-Type` is not JSON.',
    action: 'Send the body as `application/json` and set `Content-Type: application/json`.',
  },
  {
    code: 'RATE_LIMITED',
    status: 429,
    title: 'Too many requests',
    when: "The caller used up its request quota for the current window. On the gateway: the API key's per-minute limit (its plan's, or the key's override) or the endpoint's own limit.",
    action:
      'Wait the number of seconds in `Retry-After` before retrying; `RateLimit` and `RateLimit-Policy` (on the gateway `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`), and the legacy `X-RateLimit-*` headers, show the quota so you can pace requests.',
    headers: [
      'Retry-After',
      'RateLimit-Policy',
      'RateLimit',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ],
  },
  {
    code: 'USAGE_EXCEEDED',
    status: 429,
    title: 'Too many requests',
    when: "A gateway call would go over the plan's quota of units for the current billing period (each endpoint has a cost in units).",
    action: 'Wait for the next period (see `GET /api/user/usage/quota`), or move to a plan with a larger quota. Retrying sooner does not help.',
    headers: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
  },
  {
    code: 'ACCOUNT_LOCKED',
    status: 429,
    title: 'Too many requests',
    when: 'Too many failed sign-ins for this account in a short time; even the right password is refused until the lock ends.',
    action: 'Wait for the `Retry-After` interval, or reset the password.',
    headers: ['Retry-After'],
  },
  {
    code: 'TOO_MANY_ATTEMPTS',
    status: 429,
    title: 'Too many requests',
    when: 'Too many failed sign-ins from this client IP address (20 in 15 minutes), whatever the accounts.',
    action: 'Wait for the `Retry-After` interval before signing in again.',
    headers: ['Retry-After'],
  },
  {
    code: 'INTERNAL',
    status: 500,
    title: 'Internal server error',
    when: 'Something failed unexpectedly on the server; the response never includes internal details.',
    action: 'Retry later, and if it persists report it quoting the `requestId` so the operator can find the log entry.',
  },
  {
    code: 'BAD_GATEWAY',
    status: 502,
    title: 'Bad gateway',
    when: 'The server could not get a usable answer from a service it depends on.',
    action: 'Retry with backoff; if it persists, report it quoting the `requestId`.',
  },
  {
    code: 'STRIPE_ERROR',
    status: 502,
    title: 'Bad gateway',
    when: 'Stripe refused a request Tollgate made for you (the detail says what Stripe answered).',
    action: 'Retrying unchanged will likely fail again; if it persists, contact the operator with the request id.',
  },
  {
    code: 'UPSTREAM_UNAVAILABLE',
    status: 502,
    title: 'Bad gateway',
    when: "The gateway could not reach the endpoint's upstream (connection refused or reset, DNS failure, TLS error), or the endpoint's upstream URL is misconfigured. The call is metered with status 502.",
    action: 'Retry with backoff. If you operate the upstream, check that it is up and reachable from Tollgate (`tollgate endpoints list` shows its URL).',
  },
  {
    code: 'SERVICE_UNAVAILABLE',
    status: 503,
    title: 'Service unavailable',
    when: 'A dependency is temporarily unavailable, typically the database is unreachable, overloaded or too slow.',
    action: 'Retry after the `Retry-After` interval, with backoff.',
    headers: ['Retry-After'],
  },
  {
    code: 'STRIPE_UNAVAILABLE',
    status: 503,
    title: 'Service unavailable',
    when: 'Stripe did not answer (network error, timeout, or 5xx after retries).',
    action: 'Try again in a minute; nothing was charged twice (every request to Stripe carries an idempotency key).',
  },
  {
    code: 'WEBHOOKS_NOT_CONFIGURED',
    status: 503,
    title: 'Service unavailable',
    when: 'A Stripe webhook arrived but `STRIPE_WEBHOOK_SECRET` is not set, so it cannot be verified.',
    action: 'Set the webhook signing secret; Stripe retries deliveries for up to three days.',
  },
  {
    code: 'TIMEOUT',
    status: 504,
    title: 'Timed out',
    when: 'The server gave up waiting for an upstream or dependency to answer in time.',
    action: 'Retry with backoff; for writes, check whether the first attempt took effect before repeating it.',
  },
  {
    code: 'UPSTREAM_TIMEOUT',
    status: 504,
    title: 'Timed out',
    when: "The endpoint's upstream did not answer within the endpoint's timeout. The call is metered with status 504; the upstream may still have acted on it.",
    action: 'Retry with backoff; for writes, check whether the first attempt took effect before repeating it.',
  },
] as const satisfies readonly ProblemCode[];

export type ProblemCodeName = (typeof PROBLEM_CODES)[number]['code'];

/** The `type` URI the server sends for a code. */
export function problemType(code: string): string {
  return `/docs/problems#${code}`;
}

export interface ProblemField {
  name: string;
  type: string;
  always: boolean;
  description: string;
}

/** Members of every problem document body (`Content-Type: application/problem+json`). */
export const PROBLEM_FIELDS: readonly ProblemField[] = [
  {
    name: 'type',
    type: 'string',
    always: true,
    description: 'URI reference to this page, `/docs/problems#<code>`. Resolve it against the API origin.',
  },
  { name: 'title', type: 'string', always: true, description: 'Short, human-readable summary; the same for every occurrence of a code.' },
  { name: 'status', type: 'integer', always: true, description: 'The HTTP status code, repeated for convenience.' },
  {
    name: 'detail',
    type: 'string',
    always: false,
    description: 'Explanation specific to this occurrence. Meant for people; do not parse it.',
  },
  { name: 'code', type: 'string', always: true, description: 'Stable machine-readable code listed below. Branch on this.' },
  {
    name: 'requestId',
    type: 'string',
    always: true,
    description: 'Identifier of this request, also sent as `X-Request-ID`. Quote it when reporting a problem.',
  },
  {
    name: 'errors[]',
    type: 'array of { field, message }',
    always: false,
    description: 'Per-field problems, present on `VALIDATION_FAILED`: `field` names the input, `message` says what is wrong.',
  },
];
