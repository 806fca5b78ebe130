-- 0006_seed_plans: the default plans, identified by fixed slugs. ON CONFLICT DO NOTHING: admins
-- may edit these plans afterwards and re-running never overwrites their changes.
-- Prices in USD cents. Overage: overage_price_minor per overage_block_units calls
-- (Starter $0.50, Pro $0.40, Business $0.25 per 1,000 calls). Annual = 10 x monthly.

INSERT INTO plans (slug, name, description, type, currency, price_monthly_minor, price_annual_minor,
                   included_units, overage_price_minor, overage_block_units, quota_policy,
                   rate_limit_per_minute, max_api_keys, max_members, features, display_order, trial_days)
VALUES
  ('free', 'Free', 'For trying the API: 1,000 calls per month, hard limit.',
   'SUBSCRIPTION', 'USD', 0, 0,
   1000, 0, 1000, 'hard_cap',
   10, 2, 1,
   '{"support": "community", "usage_history_days": 7, "csv_export": false, "team": false}', 10, 0),
  ('starter', 'Starter', 'For side projects and small apps: 50,000 calls per month, then $0.50 per 1,000.',
   'HYBRID', 'USD', 1900, 19000,
   50000, 50, 1000, 'allow_overage',
   60, 5, 3,
   '{"support": "email", "usage_history_days": 30, "csv_export": true, "team": true}', 20, 0),
  ('pro', 'Pro', 'For production workloads: 500,000 calls per month, then $0.40 per 1,000.',
   'HYBRID', 'USD', 9900, 99000,
   500000, 40, 1000, 'allow_overage',
   300, 25, 10,
   '{"support": "priority_email", "usage_history_days": 90, "csv_export": true, "team": true}', 30, 14),
  ('business', 'Business', 'For high volume: 5,000,000 calls per month, then $0.25 per 1,000.',
   'HYBRID', 'USD', 49900, 499000,
   5000000, 25, 1000, 'allow_overage',
   1000, 100, 50,
   '{"support": "priority", "usage_history_days": 365, "csv_export": true, "team": true, "sla": "99.9"}', 40, 14)
ON CONFLICT (slug) DO NOTHING;
