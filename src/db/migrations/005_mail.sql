-- New-data mail and header updates (issue 6).

-- What you-got-data-email sent, so that re-running a night never mails anyone twice. One row per
-- mail: mail_key says which ('newdata/<notification id>/<YYYYMMDD>', 'check/<id>/<YYYYMMDD>',
-- 'digest/<kind>/<YYYYMMDD>/<hash of the problems>'). The row is written as 'sending' before the
-- SMTP conversation and becomes 'sent' or 'failed' after it; a row left 'sending' (the process
-- died mid-send) is reported and never resent, since the mail may have gone out.
CREATE TABLE notification_sent (
  id bigserial PRIMARY KEY,
  mail_key text NOT NULL UNIQUE,
  notification_id bigint REFERENCES notification(id) ON DELETE SET NULL,
  kind text NOT NULL CHECK (kind IN ('newdata', 'check', 'digest')),
  night date NOT NULL,
  status text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent', 'failed')),
  subject text NOT NULL,
  recipients text[] NOT NULL DEFAULT '{}',
  files text[] NOT NULL DEFAULT '{}',
  message_id text,
  error text,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX notification_sent_notification ON notification_sent (notification_id, night);

-- Header update requests (POST /update_headers, `fitsstore header set`): recorded by the web
-- process, carried out by the privileged worker (`fitsstore service-header-updates`), which
-- writes the outcome back. result is NULL until then.
CREATE TABLE header_update (
  id bigserial PRIMARY KEY,
  added timestamptz NOT NULL DEFAULT now(),
  -- What the request named: a filename (with or without .bz2) or a data label.
  filename text,
  data_label text,
  -- The request's values as sent: {"qa_state": ..., "raw_site": ..., "release": ..., "generic": [[k, v], ...]}
  request_values jsonb NOT NULL,
  reject_new boolean NOT NULL DEFAULT false,
  source text NOT NULL DEFAULT '',
  in_progress boolean NOT NULL DEFAULT false,
  worker text,
  started_at timestamptz,
  done_at timestamptz,
  result boolean,
  error text,
  -- The file changed: store path and name, and what was done to its primary header.
  path text,
  changed_filename text,
  changes jsonb,
  CHECK (filename IS NOT NULL OR data_label IS NOT NULL)
);
-- Served by the claim: pending rows, oldest first.
CREATE INDEX header_update_pending ON header_update (id) WHERE result IS NULL;
CREATE INDEX header_update_filename ON header_update (filename);
