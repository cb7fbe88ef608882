-- An ingest queue row may say that the file behind it is complete: the writer that queued it
-- put it into the store itself (temp + fsync + md5 check + rename: copy-from-dhs, an upload
-- handed to ingest), so ingest need not defer it as "modified moments ago, maybe still being
-- written". Without this, every upload on an archive with a local store waited
-- ingest_defer_seconds (5 s) before its ingest (issue 17).
ALTER TABLE ingestqueue ADD COLUMN verified boolean NOT NULL DEFAULT false;
