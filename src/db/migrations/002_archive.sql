-- Archive-side tables: previews, calibration cache, uploads, users, logs, notifications.

CREATE TABLE preview (
  id bigserial PRIMARY KEY,
  diskfile_id bigint NOT NULL REFERENCES diskfile(id),
  filename text NOT NULL,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX preview_diskfile_filename ON preview (diskfile_id, filename);

CREATE TABLE calcache (
  id bigserial PRIMARY KEY,
  obs_hid bigint NOT NULL REFERENCES header(id),
  cal_hid bigint NOT NULL REFERENCES header(id),
  caltype text NOT NULL,
  rank integer NOT NULL
);
CREATE INDEX calcache_obs ON calcache (obs_hid, caltype, rank);
CREATE INDEX calcache_cal ON calcache (cal_hid);

CREATE TABLE fileuploadlog (
  id bigserial PRIMARY KEY,
  ut_transfer_start timestamptz NOT NULL DEFAULT now(),
  ut_transfer_complete timestamptz,
  filename text NOT NULL,
  size bigint,
  md5 text,
  ip_address text,
  processed_cleanly boolean,
  ingestqueue_id bigint,
  notes text
);
CREATE INDEX fileuploadlog_filename ON fileuploadlog (filename);

CREATE TABLE archiveuser (
  id bigserial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  fullname text,
  email text,
  password text,
  staff boolean NOT NULL DEFAULT false,
  superuser boolean NOT NULL DEFAULT false,
  created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE usersession (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES archiveuser(id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  created timestamptz NOT NULL DEFAULT now(),
  expires timestamptz NOT NULL
);

CREATE TABLE userprogram (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES archiveuser(id) ON DELETE CASCADE,
  program_id text,
  observation_id text,
  filename text
);
CREATE INDEX userprogram_user ON userprogram (user_id);

CREATE TABLE usagelog (
  id bigserial PRIMARY KEY,
  utdatetime timestamptz NOT NULL DEFAULT now(),
  user_id bigint,
  ip_address text,
  user_agent text,
  referrer text,
  method text,
  uri text,
  this text,
  status integer,
  bytes bigint,
  notes text
);
CREATE INDEX usagelog_utdatetime ON usagelog (utdatetime DESC);

CREATE TABLE querylog (
  id bigserial PRIMARY KEY,
  usagelog_id bigint REFERENCES usagelog(id),
  summarytype text,
  selection text,
  numresults integer,
  query_started timestamptz,
  query_completed timestamptz,
  notes text
);

CREATE TABLE downloadlog (
  id bigserial PRIMARY KEY,
  usagelog_id bigint REFERENCES usagelog(id),
  selection text,
  numresults integer,
  sending_files boolean,
  numdenied integer,
  download_started timestamptz,
  download_completed timestamptz,
  notes text
);

CREATE TABLE notification (
  id bigserial PRIMARY KEY,
  label text NOT NULL,
  selection text NOT NULL,
  piemail text,
  ngoemail text,
  csemail text,
  internal boolean NOT NULL DEFAULT false
);
