-- copy-from-dhs: how long a DHS file without NEXTEND must stay unchanged, with its FITS structure
-- ending exactly at end of file, before it is taken as complete (services/dhscomplete.ts). A DHS
-- writer pausing at an HDU boundary leaves well-formed FITS; without NEXTEND only time tells.
ALTER TABLE system_parameters ADD COLUMN dhs_settle_seconds double precision NOT NULL DEFAULT 20;

-- `fitsstore queue retry` means now: a row an operator un-failed is tried at once, past the
-- per-destination back-off the export worker keeps in memory (services/export.ts). Cleared when
-- the row fails again.
ALTER TABLE ingestqueue ADD COLUMN operator_retry boolean NOT NULL DEFAULT false;
ALTER TABLE exportqueue ADD COLUMN operator_retry boolean NOT NULL DEFAULT false;
ALTER TABLE previewqueue ADD COLUMN operator_retry boolean NOT NULL DEFAULT false;
ALTER TABLE calcachequeue ADD COLUMN operator_retry boolean NOT NULL DEFAULT false;
