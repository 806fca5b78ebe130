-- 0008_seed_echo_endpoint: the built-in demo upstream, so a fresh install has something to call through the gateway:
-- any method on /gw/echo and below answers with what an upstream would have received (cost 1 unit per call).
INSERT INTO api_endpoints (method, path_pattern, upstream_url, description, cost)
VALUES ('*', '/echo/*', 'internal://echo', 'Built-in echo: returns the request as the upstream would see it.', 1)
ON CONFLICT (method, path_pattern) DO NOTHING;
