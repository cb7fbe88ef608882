-- The Gemini rule for proprietary metadata: a header whose PROP_MD card is true keeps its target
-- name and position (object, ra/dec, az/el, rotator angle) from anyone who may not have the file
-- until its release date. Files without PROP_MD show them to everyone, as the real archive does.
ALTER TABLE header ADD COLUMN proprietary_coordinates boolean NOT NULL DEFAULT false;
