-- Indexes for calibration association (src/calcache/sql.ts) and the rebuild commands.
--
-- Every association search is "candidates of one kind for one instrument, nearest in time", run
-- as two index scans walking away from the frame's time. The indexes are shaped like those scans
-- and partial on the candidate kinds, so the science frames (most of the table) are never in
-- them: an association against 1,000,000 headers reads only a few dozen index entries per rule.
-- The WHERE clauses must stay implied by the ones sql.ts writes (literal kinds, same columns).

-- Raw calibration frames: (instrument, observation_type, binning, time). Every raw rule matches
-- binning (1x1 on the infrared arrays), which divides what a GMOS bias search walks by ~4.
CREATE INDEX header_calcache_raw ON header (instrument, observation_type, detector_binning, ut_datetime)
  WHERE reduction = 'RAW' AND observation_type IN ('BIAS', 'DARK', 'FLAT', 'ARC', 'PINHOLE');

-- Processed calibrations (reduction PROCESSED_<kind>): (instrument, reduction, time).
CREATE INDEX header_calcache_processed ON header (instrument, reduction, ut_datetime)
  WHERE reduction IN ('PROCESSED_BIAS', 'PROCESSED_DARK', 'PROCESSED_FLAT', 'PROCESSED_ARC', 'PROCESSED_BPM',
                      'PROCESSED_FRINGE', 'PROCESSED_SLITILLUM', 'PROCESSED_STANDARD');

-- Twilight sky flats are OBJECT frames: only they, not every science frame, in this one.
CREATE INDEX header_calcache_twilight ON header (instrument, ut_datetime)
  WHERE reduction = 'RAW' AND observation_type = 'OBJECT' AND object = 'Twilight';

-- add-to-preview-queue / add-to-calcache-queue --file-pre: prefix searches on file names
-- (the unique index on file.name follows the database collation and cannot serve LIKE 'x%').
CREATE INDEX file_name_prefix ON file (name text_pattern_ops);
