-- Core schema: files, versions on disk, headers, the four queues, errors, workers, live parameters.
-- Names follow the runbooks so their SQL snippets run verbatim.

CREATE TABLE file (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE diskfile (
  id bigserial PRIMARY KEY,
  file_id bigint NOT NULL REFERENCES file(id),
  filename text NOT NULL,
  path text NOT NULL DEFAULT '',
  present boolean NOT NULL DEFAULT true,
  canonical boolean NOT NULL DEFAULT true,
  file_md5 text,
  file_size bigint,
  data_md5 text,
  data_size bigint,
  compressed boolean NOT NULL DEFAULT false,
  lastmod timestamptz,
  entrytime timestamptz NOT NULL DEFAULT now(),
  isfits boolean NOT NULL DEFAULT true,
  fvwarnings integer NOT NULL DEFAULT 0,
  fverrors integer NOT NULL DEFAULT 0,
  mdready boolean NOT NULL DEFAULT false
);
CREATE INDEX diskfile_filename ON diskfile (filename);
CREATE INDEX diskfile_file_id ON diskfile (file_id);
-- At most one present and one canonical version per file: a concurrent double ingest fails loudly.
CREATE UNIQUE INDEX diskfile_one_canonical ON diskfile (file_id) WHERE canonical;
CREATE UNIQUE INDEX diskfile_one_present ON diskfile (file_id) WHERE present;

CREATE TABLE header (
  id bigserial PRIMARY KEY,
  diskfile_id bigint NOT NULL UNIQUE REFERENCES diskfile(id),
  program_id text,
  observation_id text,
  data_label text,
  telescope text,
  instrument text,
  ut_datetime timestamptz,
  local_time text,
  observation_type text,
  observation_class text,
  object text,
  ra double precision,
  dec double precision,
  azimuth double precision,
  elevation double precision,
  airmass double precision,
  exposure_time double precision,
  filter_name text,
  disperser text,
  camera text,
  central_wavelength double precision,
  wavelength_band text,
  focal_plane_mask text,
  detector_binning text,
  detector_roi_setting text,
  detector_gain_setting text,
  detector_readspeed_setting text,
  detector_welldepth_setting text,
  coadds integer,
  spectroscopy boolean,
  mode text,
  adaptive_optics boolean,
  laser_guide_star boolean,
  wavefront_sensor text,
  gcal_lamp text,
  raw_iq text,
  raw_cc text,
  raw_wv text,
  raw_bg text,
  requested_iq text,
  requested_cc text,
  requested_wv text,
  requested_bg text,
  qa_state text,
  release date,
  reduction text,
  engineering boolean,
  science_verification boolean,
  calibration_program boolean,
  types text[],
  keywords jsonb
);
CREATE INDEX header_program_id ON header (program_id);
CREATE INDEX header_observation_id ON header (observation_id);
CREATE INDEX header_data_label ON header (data_label);
CREATE INDEX header_ut_datetime ON header (ut_datetime DESC NULLS LAST);
CREATE INDEX header_instrument_ut ON header (instrument, ut_datetime DESC);

CREATE TABLE fulltextheader (
  id bigserial PRIMARY KEY,
  diskfile_id bigint NOT NULL UNIQUE REFERENCES diskfile(id),
  fulltext text NOT NULL
);

-- Queues share one shape (src/queues/engine.ts); each adds its key columns.
CREATE TABLE ingestqueue (
  id bigserial PRIMARY KEY,
  filename text NOT NULL,
  path text NOT NULL DEFAULT '',
  force boolean NOT NULL DEFAULT false,
  force_md5 boolean NOT NULL DEFAULT false,
  added timestamptz NOT NULL DEFAULT now(),
  sortkey text NOT NULL,
  after timestamptz,
  in_progress boolean NOT NULL DEFAULT false,
  failed boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  worker text,
  heartbeat_at timestamptz,
  error text
);
CREATE UNIQUE INDEX ingestqueue_pending_key ON ingestqueue (filename, path) WHERE NOT in_progress AND NOT failed;
CREATE INDEX ingestqueue_claimable ON ingestqueue (sortkey DESC, id) WHERE NOT in_progress AND NOT failed;
CREATE INDEX ingestqueue_inprogress ON ingestqueue (filename, path) WHERE in_progress;
CREATE INDEX ingestqueue_filename ON ingestqueue (filename);

CREATE TABLE exportqueue (
  id bigserial PRIMARY KEY,
  filename text NOT NULL,
  path text NOT NULL DEFAULT '',
  destination text NOT NULL,
  added timestamptz NOT NULL DEFAULT now(),
  sortkey text NOT NULL,
  after timestamptz,
  in_progress boolean NOT NULL DEFAULT false,
  failed boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  worker text,
  heartbeat_at timestamptz,
  error text
);
CREATE UNIQUE INDEX exportqueue_pending_key ON exportqueue (filename, path, destination) WHERE NOT in_progress AND NOT failed;
CREATE INDEX exportqueue_claimable ON exportqueue (sortkey DESC, id) WHERE NOT in_progress AND NOT failed;
CREATE INDEX exportqueue_inprogress ON exportqueue (filename, path, destination) WHERE in_progress;
CREATE INDEX exportqueue_filename ON exportqueue (filename);

CREATE TABLE previewqueue (
  id bigserial PRIMARY KEY,
  diskfile_id bigint NOT NULL,
  filename text,
  force boolean NOT NULL DEFAULT false,
  added timestamptz NOT NULL DEFAULT now(),
  sortkey text NOT NULL,
  after timestamptz,
  in_progress boolean NOT NULL DEFAULT false,
  failed boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  worker text,
  heartbeat_at timestamptz,
  error text
);
CREATE UNIQUE INDEX previewqueue_pending_key ON previewqueue (diskfile_id) WHERE NOT in_progress AND NOT failed;
CREATE INDEX previewqueue_claimable ON previewqueue (sortkey DESC, id) WHERE NOT in_progress AND NOT failed;
CREATE INDEX previewqueue_inprogress ON previewqueue (diskfile_id) WHERE in_progress;

CREATE TABLE calcachequeue (
  id bigserial PRIMARY KEY,
  obs_hid bigint NOT NULL,
  filename text,
  added timestamptz NOT NULL DEFAULT now(),
  sortkey text NOT NULL,
  after timestamptz,
  in_progress boolean NOT NULL DEFAULT false,
  failed boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  worker text,
  heartbeat_at timestamptz,
  error text
);
CREATE UNIQUE INDEX calcachequeue_pending_key ON calcachequeue (obs_hid) WHERE NOT in_progress AND NOT failed;
CREATE INDEX calcachequeue_claimable ON calcachequeue (sortkey DESC, id) WHERE NOT in_progress AND NOT failed;
CREATE INDEX calcachequeue_inprogress ON calcachequeue (obs_hid) WHERE in_progress;

CREATE TABLE queue_error (
  id bigserial PRIMARY KEY,
  queue text NOT NULL CHECK (queue IN ('INGEST', 'EXPORT', 'PREVIEW', 'CALCACHE')),
  filename text,
  path text,
  added timestamptz NOT NULL DEFAULT now(),
  -- Same instant as added: the runbooks order by either.
  date timestamptz NOT NULL DEFAULT now(),
  error text NOT NULL
);
CREATE INDEX queue_error_filename ON queue_error (filename, queue, added DESC);

CREATE TABLE queue_worker (
  name text NOT NULL,
  queue text NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name)
);

-- One row of live settings, re-read by running daemons each poll.
CREATE TABLE system_parameters (
  id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  poll_seconds double precision NOT NULL DEFAULT 5,
  heartbeat_seconds double precision NOT NULL DEFAULT 5,
  dead_worker_seconds double precision NOT NULL DEFAULT 30,
  max_attempts integer NOT NULL DEFAULT 3,
  ingest_defer_seconds double precision NOT NULL DEFAULT 5,
  export_retry_seconds double precision NOT NULL DEFAULT 300,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
INSERT INTO system_parameters (id) VALUES (1);

CREATE TABLE system_parameters_history (
  id bigserial PRIMARY KEY,
  changed_at timestamptz NOT NULL DEFAULT now(),
  old jsonb,
  new jsonb
);
CREATE FUNCTION system_parameters_audit() RETURNS trigger AS $$
BEGIN
  INSERT INTO system_parameters_history (old, new) VALUES (to_jsonb(OLD), to_jsonb(NEW));
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER system_parameters_audit AFTER UPDATE ON system_parameters
  FOR EACH ROW EXECUTE FUNCTION system_parameters_audit();
