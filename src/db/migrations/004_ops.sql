-- Operator tools' own state.

-- Where the rolling md5 scrub (`fitsstore check --md5 --byte-budget N`) stopped last time, so
-- successive nightly runs with a small budget cover the whole store over days instead of
-- re-reading the same first files every night.
CREATE TABLE ops_scrub_state (
  name text PRIMARY KEY,
  -- Next run continues with present diskfiles whose id is greater than this.
  last_diskfile_id bigint NOT NULL DEFAULT 0,
  pass_started_at timestamptz NOT NULL DEFAULT now(),
  passes_completed integer NOT NULL DEFAULT 0,
  bytes_this_pass bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
