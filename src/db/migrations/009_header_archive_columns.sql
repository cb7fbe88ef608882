-- Header columns the Gemini archive exposes and searches, filled by ingest
-- (src/gemini/metadata.ts): the Cassegrain rotator angle, the detector read mode as astrodata
-- names it, DRAGONS' processing mode of processed files and its search name, and the
-- photometric-standard flag (set where a standard star is known to lie in the field).
ALTER TABLE header
  ADD COLUMN cass_rotator_pa double precision,
  ADD COLUMN detector_readmode_setting text,
  ADD COLUMN procmode text,
  ADD COLUMN processing text,
  ADD COLUMN phot_standard boolean;

-- Rows ingested before these columns: what their primary-header keywords already say. The read
-- mode needs each instrument's rules and is filled when a file is next ingested.
UPDATE header SET
  cass_rotator_pa = CASE
    WHEN jsonb_typeof(keywords->'CRPA') = 'number' AND abs((keywords->>'CRPA')::double precision) <= 360
    THEN (keywords->>'CRPA')::double precision END,
  procmode = lower(btrim(keywords->>'PROCMODE')),
  processing = CASE lower(btrim(keywords->>'PROCMODE'))
    WHEN 'sq' THEN 'Science-Quality'
    WHEN 'ql' THEN 'Quick-Look'
    ELSE CASE WHEN keywords->>'PROCMODE' IS NULL AND reduction = 'RAW' THEN 'Raw' END
  END;

CREATE INDEX header_processing ON header (processing);

-- Photometric standard stars (the archive's standards list: name, field, position), loaded with
-- `fitsstore photstandards load FILE`. Ingest sets header.phot_standard when one lies inside a
-- science image's footprint (src/services/photstandards.ts).
CREATE TABLE photstandard (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  field text,
  ra double precision NOT NULL,
  dec double precision NOT NULL
);
CREATE INDEX photstandard_position ON photstandard USING gist (point(ra, dec));
