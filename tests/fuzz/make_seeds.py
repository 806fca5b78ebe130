#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ (small valid inputs, one file each).

The seeds are committed; re-run this only to change them (python3 tests/fuzz/make_seeds.py). Signed seeds (JWT,
Stripe-Signature) use the harnesses' fixed secrets and clock, so they must be regenerated if those change.
"""
import base64
import hashlib
import hmac
import json
import os
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
JWT_SECRET = b"fuzz-jwt-secret-0123456789abcdef0123456789"
STRIPE_SECRET = b"whsec_test_0123456789abcdef"
NOW = 1_700_000_000  # fuzz_common.hpp FixedClock, seconds


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, header=None) -> str:
    header = header or {"alg": "HS256", "typ": "JWT"}
    signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(
        json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(JWT_SECRET, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig)


USER = "0b7c6f3e-8d2a-4c1b-9e5f-3a2d1c0b9a87"
ORG = "5f1e2d3c-4b5a-4697-8877-665544332211"
ACCESS = jwt({"iss": "tollgate", "aud": "tollgate-api", "sub": USER, "typ": "access", "iat": NOW - 60,
              "nbf": NOW - 60, "exp": NOW + 900, "jti": "j1", "org": ORG, "role": "USER", "sid": "s1"})
MFA = jwt({"iss": "tollgate", "aud": "tollgate-api", "sub": USER, "typ": "mfa_pending", "iat": NOW - 10,
           "nbf": NOW - 10, "exp": NOW + 300, "jti": "j2"})

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum(body: str) -> str:
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    out = ""
    for _ in range(6):
        out = B62[crc % 62] + out
        crc //= 62
    return out


def api_key(env: str, rnd: str) -> str:
    body = f"tg_{env}_{rnd}"
    return body + checksum(body)


LIVE_KEY = api_key("live", "7Gh2kLm9Qw3Er5Ty8Ui1Op4As6Df0Gh2Jk4Lz6Xc8V")
TEST_KEY = api_key("test", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V")


def fdp_string(s: bytes) -> bytes:
    """FuzzedDataProvider::ConsumeRandomLengthString encoding: backslashes doubled, '\\' + other byte ends it."""
    return s.replace(b"\\", b"\\\\") + b"\\x"


def write(target: str, name: str, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def crlf(*lines: str, body: str = "") -> str:
    return "\r\n".join(lines) + "\r\n\r\n" + body


def http_seeds():
    whole = b"\x00"  # first byte: hand the whole input to the parser at once
    pieces = b"\x83"  # ... or in 4-byte reads
    login = json.dumps({"email": "ada@example.com", "password": "correct horse battery"})
    seeds = {
        "get_healthz": crlf("GET /healthz HTTP/1.1", "Host: localhost:3001"),
        "post_login": crlf("POST /api/auth/login HTTP/1.1", "Host: localhost:3001", "Content-Type: application/json",
                           f"Content-Length: {len(login)}", "X-Request-ID: req-123", body=login),
        "pipelined_bearer": crlf("GET /api/user/api-keys/" + USER + " HTTP/1.1", "Host: localhost:3001",
                                 "Authorization: Bearer " + ACCESS, "X-Forwarded-For: 203.0.113.7, 10.0.0.2")
        + crlf("PATCH /api/user/api-keys/" + USER + " HTTP/1.1", "Host: localhost:3001",
               "Authorization: Bearer " + ACCESS, "Content-Type: application/json", "Content-Length: 17",
               body='{"name":"server"}')
        + crlf("GET /api/plans?page=2 HTTP/1.1", "Host: localhost:3001", "Connection: close"),
        "preflight": crlf("OPTIONS /api/auth/register HTTP/1.1", "Host: api.example.com",
                          "Origin: https://app.example.com", "Access-Control-Request-Method: POST",
                          "Access-Control-Request-Headers: content-type, x-request-id"),
        "cors_denied": crlf("POST /api/auth/logout HTTP/1.1", "Host: localhost:3001", "Origin: https://evil.example",
                            "Content-Length: 0"),
        "gateway_chunked": crlf("POST /gw/echo/hello?x=1 HTTP/1.1", "Host: localhost:3001", "X-API-Key: " + LIVE_KEY,
                                "Transfer-Encoding: chunked", "Content-Type: text/plain",
                                body="5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        "gateway_bearer": crlf("GET /gw/weather/paris/forecast/today HTTP/1.1", "Host: localhost:3001",
                               "Authorization: Bearer " + TEST_KEY, "X-Forwarded-Proto: https"),
        "gateway_dotdot": crlf("GET /gw/files/%2e%2e/secret HTTP/1.1", "Host: localhost:3001"),
        "spa_gzip": crlf("GET /dashboard/keys HTTP/1.1", "Host: localhost:3001", "Accept: text/html",
                         "Accept-Encoding: gzip, br")
        + crlf("GET /assets/app-1a2b.js HTTP/1.1", "Host: localhost:3001", "Accept-Encoding: gzip;q=0.5"),
        "http10_head": crlf("HEAD /api/version HTTP/1.0"),
        "method_not_allowed": crlf("DELETE /api/plans HTTP/1.1", "Host: x"),
        "too_large": crlf("POST /api/auth/register HTTP/1.1", "Host: x", "Content-Length: 99999999"),
        "bad_request": "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "webhook": crlf("POST /api/stripe/webhook HTTP/1.1", "Host: x", "Stripe-Signature: t=1,v1=00",
                        "Content-Type: application/json", "Content-Length: 2", body="{}"),
    }
    for name, text in seeds.items():
        write("http_request", name, whole + text.encode())
    write("http_request", "post_login_pieces", pieces + seeds["post_login"].encode())


def json_seeds():
    bodies = {
        0: {"email": "ada@example.com", "password": "correct horse battery", "name": "Ada", "company": "Analytical"},
        1: {"email": "ada@example.com", "password": "correct horse battery"},
        2: {"mfaToken": MFA, "code": "123456"},
        3: {"refreshToken": "rt_0123456789abcdef"},
        4: {"email": "ada@example.com"},
        5: {"token": "reset-token", "password": "a much longer passphrase"},
        6: {"name": "Ada L.", "company": None, "avatarUrl": "https://cdn.example.com/a.png"},
        7: {"currentPassword": "old password here", "newPassword": "new password here!", "newEmail": "a@b.co"},
        8: {"name": "prod server", "environment": "live", "expiresAt": "2024-06-01T00:00:00Z",
            "rateLimitPerMinute": 120, "metadata": {"team": "core"}},
        9: {"name": "renamed", "status": "disabled", "rateLimitPerMinute": None, "metadata": {}},
        10: {"gracePeriodHours": 48},
        11: {"key": LIVE_KEY, "endpoint": "/weather/{city}", "method": "GET", "cost": 2},
        12: {"plan": "pro", "interval": "year", "prorationDate": 1700000000},
        13: {"method": "GET", "pathPattern": "/weather/{city}/*", "upstreamUrl": "https://weather.internal:8443/v2",
             "description": "Weather", "cost": 2, "rateLimitPerMinute": 60, "timeoutMs": 5000, "isPublic": False,
             "enabled": True, "reason": "new API"},
        14: {"slug": "pro-2024", "name": "Pro", "type": "HYBRID", "priceMonthly": 2900, "rateLimitPerMinute": 600,
             "includedUnits": 100000, "overagePrice": 50, "overageBlockUnits": 1000, "features": {"sla": True}},
        15: {"priceAnnual": 29000, "quotaPolicy": "allow_overage", "overagePrice": 7, "overageBlockUnits": 3},
        16: {"reason": "support ticket 42", "name": "billing-service", "scopes": ["keys:verify"],
             "expiresAt": "2026-11-01"},
        17: {"name": "Acme", "billingEmail": "billing@acme.example", "email": "bob@acme.example", "role": "BILLING"},
    }
    for endpoint, body in bodies.items():
        write("json_bodies", f"endpoint_{endpoint:02d}", bytes([endpoint, 0]) + json.dumps(body).encode())
    write("json_bodies", "refresh_cookie_only", bytes([3, 0x80]) + b"")
    write("json_bodies", "bad_type", bytes([1, 5]) + b'{"email":"a@b.c"}')
    write("json_bodies", "bad_utf8", bytes([0, 0]) + b'{"email":"\xc0\xaf@x.io"}')


def jwt_seeds():
    write("jwt", "access_token", b"\x00" + ACCESS.encode())
    write("jwt", "mfa_token", b"\x00" + MFA.encode())
    write("jwt", "alg_none", b"\x00" + (b64url(b'{"alg":"none"}') + "." + ACCESS.split(".")[1] + ".").encode())
    payload = json.dumps({"iss": "tollgate", "aud": "tollgate-api", "sub": USER, "typ": "access", "iat": NOW,
                          "nbf": NOW, "exp": NOW + 60, "role": "ADMIN"}).encode()
    write("jwt", "signed_payload", b"\x01" + fdp_string(b'{"alg":"HS256","typ":"JWT"}') + payload)
    write("jwt", "signed_payload_crit", b"\x01" + fdp_string(b'{"alg":"HS256","crit":["b64"]}') + payload)
    write("jwt", "round_trip", b"\x02" + bytes(range(1, 120)))
    write("jwt", "base64url", b"\x03" + ACCESS.split(".")[0].encode())


def stripe_seeds():
    payload = b'{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1"}}}'
    t = str(NOW).encode()
    v1 = hmac.new(STRIPE_SECRET, t + b"." + payload, hashlib.sha256).hexdigest().encode()
    header = b"t=" + t + b",v1=" + v1 + b",v0=deadbeef"
    # Mode 0; FuzzedDataProvider takes the booleans from the end: fixed secrets, no second secret, tolerance 300,
    # now = 1700000000 (read in that order, last byte first).
    write("stripe_signature", "valid", b"\x00" + fdp_string(header) + payload + bytes([1, 1, 0, 1]))
    write("stripe_signature", "two_timestamps", b"\x00" + fdp_string(b"t=1,t=2,v1=" + v1) + payload + bytes([1, 1, 0, 1]))
    write("stripe_signature", "decorated", b"\x01" + bytes(range(0, 64)))


def key_seeds():
    write("api_key", "live", b"\x00" + LIVE_KEY.encode())
    write("api_key", "test", b"\x00" + TEST_KEY.encode())
    write("api_key", "bad_checksum", b"\x00" + (LIVE_KEY[:-1] + ("A" if LIVE_KEY[-1] != "A" else "B")).encode())
    write("api_key", "service_token", b"\x00tg_svc_0123456789")
    write("api_key", "generated", b"\x01\x00\x10\x41")


def query_seeds():
    seeds = {
        "paging": "page=2&pageSize=50&q=ada%40example.com&status=active&plan=pro&role=ADMIN&verified=true",
        "audit": f"limit=100&before=12345&action=user.suspend&actorId={USER.upper()}&organizationId={ORG}"
                 "&from=2023-11-01&to=2023-11-14T10:00:00%2B02:00&targetId=x",
        "usage": f"from=2023-11-01T00:00:00Z&to=2023-11-14T22:13:20.123Z&keyId={USER}&granularity=hour"
                 "&statusClass=4xx&limit=100&cursor=1699999999000000_" + USER,
        "subject": "kind=ip&id=2001%3Adb8%3A%3A1",
        "subject_user": f"kind=user&id={USER}",
        "csv": "endpoint=%3DHYPERLINK(%22x%22)&q=a%2Cb%22c%0D%0A&plan=+1",
        "plus_and_escapes": "q=a+b%zz%4&page=%31&&=&pageSize",
        "leap": "from=2016-12-31T23:59:60Z&to=2017-01-01T00:00:00-00:01",
    }
    for name, q in seeds.items():
        write("query_params", name, q)


def config_seeds():
    env = "\n".join([
        "# Tollgate settings",
        "export TOLLGATE_ENV=production",
        "JWT_SECRET='0123456789abcdef0123456789abcdef0123'",
        'DATABASE_URL="postgresql://tollgate@localhost/tollgate"',
        "PORT=8080", "THREADS=4", "READ_TIMEOUT=30s", "IDLE_TIMEOUT=2m", "JWT_EXPIRY=15m", "JWT_REFRESH_EXPIRY=7d",
        "DB_STATEMENT_TIMEOUT=5000ms", "BODY_LIMIT=1048576", "CORS_ORIGINS=https://app.example.com/, http://localhost:5173",
        "TRUSTED_PROXIES=10.0.0.0/8, 192.168.1.1, ::1/128, fd00::/8", "ADMIN_IP_ALLOWLIST=203.0.113.0/24",
        "TRUST_PROXY_TLS=yes", "STRIPE_SECRET_KEY=sk_test_x", "STRIPE_WEBHOOK_SECRET=whsec_a, whsec_b",
        "PUBLIC_URL=https://tollgate.example.com/", "MAIL_FROM=Tollgate <no-reply@example.com>", "LOG_LEVEL=warn",
    ])
    write("config", "env_file", b"\x00" + env.encode())
    write("config", "env_minimal", b"\x00JWT_SECRET=x\nHOST=::1\n")
    write("config", "vars", b"\x01" + bytes(range(0, 96)))
    for i, v in enumerate(["500ms", "30s", "15m", "2h", "7d", "10.0.0.0/8", "::ffff:10.0.0.1/120", "fe80::1%eth0",
                           "9223372036854775807ms"]):
        write("config", f"value_{i}", b"\x02" + v.encode())


if __name__ == "__main__":
    http_seeds()
    json_seeds()
    jwt_seeds()
    stripe_seeds()
    key_seeds()
    query_seeds()
    config_seeds()
