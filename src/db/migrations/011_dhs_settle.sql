-- copy-from-dhs: how long a DHS file without NEXTEND must stay unchanged, with its FITS structure
-- ending exactly at end of file, before it is taken as complete (services/dhscomplete.ts). A DHS
-- writer pausing at an HDU boundary leaves well-formed FITS; without NEXTEND only time tells.
ALTER TABLE system_parameters ADD COLUMN dhs_settle_seconds double precision NOT NULL DEFAULT 20;
