-- Indexes for calibration association (src/calcache/sql.ts) and the rebuild commands.
--
-- Every association search is "calibrations of one kind with the frame's settings, nearest in
-- time", run as two index scans walking away from the frame's time. Each index below leads with
-- the columns its kind of rule compares for equality (sql.ts refuses rules that do not) and ends
-- with ut_datetime, and is partial on the kind, so science frames (most of the table) are never
-- in them and a scan meets almost only matching calibrations: one frame's association against
-- 1,000,000 headers reads a few hundred index entries and heap rows, not thousands.
-- The WHERE clauses must stay implied by the ones sql.ts writes (literal kinds, same columns).

-- Raw biases: detector setup (DETTYPE is compared in the heap row: it has no column).
CREATE INDEX header_calcache_bias ON header
  (instrument, detector_binning, detector_roi_setting, detector_gain_setting, detector_readspeed_setting, ut_datetime)
  WHERE reduction = 'RAW' AND observation_type = 'BIAS';

-- Raw flats and arcs: the optical path.
CREATE INDEX header_calcache_flat_arc ON header
  (instrument, observation_type, detector_binning, disperser, focal_plane_mask, filter_name, ut_datetime)
  WHERE reduction = 'RAW' AND observation_type IN ('FLAT', 'ARC');

-- Raw darks: exposure time (a tolerance, so a range: the planner sorts the few rows by time).
CREATE INDEX header_calcache_dark ON header (instrument, exposure_time, ut_datetime)
  WHERE reduction = 'RAW' AND observation_type = 'DARK';

-- Twilight sky flats are OBJECT frames: only they, not every science frame, in this one.
CREATE INDEX header_calcache_twilight ON header (instrument, detector_binning, filter_name, ut_datetime)
  WHERE reduction = 'RAW' AND observation_type = 'OBJECT' AND object = 'Twilight';

-- Processed calibrations (rare): (instrument, reduction, time).
CREATE INDEX header_calcache_processed ON header (instrument, reduction, ut_datetime)
  WHERE reduction IN ('PROCESSED_BIAS', 'PROCESSED_DARK', 'PROCESSED_FLAT', 'PROCESSED_ARC', 'PROCESSED_BPM',
                      'PROCESSED_FRINGE', 'PROCESSED_SLITILLUM', 'PROCESSED_STANDARD');

-- add-to-preview-queue / add-to-calcache-queue --file-pre: prefix searches on file names
-- (the unique index on file.name follows the database collation and cannot serve LIKE 'x%').
CREATE INDEX file_name_prefix ON file (name text_pattern_ops);
