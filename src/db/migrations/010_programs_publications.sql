-- Programs and the publications that used their data: what the selection terms PIname=,
-- ProgramText= and publication= search (the Gemini archive's program, publication and
-- programpublication tables). Rows come from the observatory database and from ADS; the full-text
-- indexes serve the archive's to_tsvector matches on names and titles.
CREATE TABLE program (
  id bigserial PRIMARY KEY,
  program_id text NOT NULL UNIQUE,
  title text,
  pi_coi_names text,
  abstract text,
  updated timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX program_pi_coi_names_fts ON program USING gin (to_tsvector('english', coalesce(pi_coi_names, '')));
CREATE INDEX program_title_fts ON program USING gin (to_tsvector('english', coalesce(title, '')));

CREATE TABLE publication (
  id bigserial PRIMARY KEY,
  bibcode text NOT NULL UNIQUE,
  title text,
  authors text,
  journal text,
  year integer
);

CREATE TABLE programpublication (
  program_id bigint NOT NULL REFERENCES program (id) ON DELETE CASCADE,
  publication_id bigint NOT NULL REFERENCES publication (id) ON DELETE CASCADE,
  PRIMARY KEY (program_id, publication_id)
);
CREATE INDEX programpublication_publication ON programpublication (publication_id);
