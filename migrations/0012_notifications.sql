-- 0012_notifications: one way to tell a user about an event. tg_notify() stores the in-app notification (once per
-- dedupe key) and, unless the user turned that kind off in users.notification_prefs -> 'email', queues the same event
-- by email (outbox row + mail.send job), all in the caller's transaction. Returns whether the notification is new.
CREATE OR REPLACE FUNCTION tg_notify(p_user uuid, p_org uuid, p_kind text, p_payload jsonb, p_dedupe text,
                                     p_template text, p_mail_payload jsonb)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  created uuid;
  outbox uuid;
  recipient record;
BEGIN
  INSERT INTO notifications (user_id, organization_id, kind, payload, dedupe_key)
  VALUES (p_user, p_org, p_kind, COALESCE(p_payload, '{}'::jsonb), p_dedupe)
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id INTO created;
  IF created IS NULL THEN
    RETURN false;
  END IF;
  IF p_template IS NULL THEN
    RETURN true;
  END IF;
  SELECT email, status, notification_prefs INTO recipient FROM users WHERE id = p_user;
  IF recipient.status IS DISTINCT FROM 'active'
     OR COALESCE(recipient.notification_prefs -> 'email' ->> p_kind, 'true') = 'false' THEN
    RETURN true;
  END IF;
  INSERT INTO email_outbox (user_id, organization_id, to_email, template, payload, idempotency_key)
  VALUES (p_user, p_org, recipient.email, p_template, COALESCE(p_mail_payload, '{}'::jsonb), 'notify:' || p_dedupe)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id INTO outbox;
  IF outbox IS NOT NULL THEN
    INSERT INTO jobs (kind, payload, idempotency_key, max_attempts)
    VALUES ('mail.send', jsonb_build_object('outboxId', outbox::text), 'mail.send:' || outbox::text, 20);
    UPDATE notifications SET emailed_at = now() WHERE id = created;
  END IF;
  RETURN true;
END
$$;
