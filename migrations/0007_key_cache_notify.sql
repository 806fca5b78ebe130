-- 0007_key_cache_notify: tell every instance's key cache when something a verification decision depends on changes
-- outside the keys API: a subscription (plan, status, dunning), an organization's status, or its owner's status.
-- Payload 'org:<id>' drops that organization's keys from the caches (src/verify, LISTEN tollgate_keys), so the
-- change is enforced within a second however it was made (API, admin, Stripe webhook or plain SQL).

CREATE OR REPLACE FUNCTION tg_notify_org_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  org uuid;
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    FOR org IN SELECT id FROM organizations WHERE owner_user_id = NEW.id LOOP
      PERFORM pg_notify('tollgate_keys', 'org:' || org);
    END LOOP;
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'organizations' THEN
    org := NEW.id;
  ELSIF TG_OP = 'DELETE' THEN
    org := OLD.organization_id;
  ELSE
    org := NEW.organization_id;
  END IF;
  PERFORM pg_notify('tollgate_keys', 'org:' || org);
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER subscriptions_notify_keys AFTER INSERT OR UPDATE OR DELETE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION tg_notify_org_keys();
CREATE TRIGGER organizations_notify_keys AFTER UPDATE OF status ON organizations
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION tg_notify_org_keys();
CREATE TRIGGER users_notify_keys AFTER UPDATE OF status ON users
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION tg_notify_org_keys();
-- Plans are shared: a change to a plan's limits drops every cached key.
CREATE OR REPLACE FUNCTION tg_notify_all_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tollgate_keys', '*');
  RETURN NEW;
END
$$;
CREATE TRIGGER plans_notify_keys AFTER UPDATE ON plans
  FOR EACH ROW EXECUTE FUNCTION tg_notify_all_keys();
