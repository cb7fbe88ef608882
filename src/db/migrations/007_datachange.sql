-- A NOTIFY on fitsstore_datachange whenever something the JSON answers show may have changed
-- (server/answercache.ts drops its cached answers on it). Statement-level, and NOTIFYs are
-- delivered only on commit, once per transaction, so an ingest costs one notification.
-- The ingest queue's completions and claims do not notify: an answer that lists a file as
-- pending ingest is never cached, so only a file becoming pending (a new row, a failed row
-- retried) needs to be heard.
CREATE FUNCTION fitsstore_datachange() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('fitsstore_datachange', TG_TABLE_NAME);
  RETURN NULL;
END $$;

CREATE TRIGGER file_datachange AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON file
  FOR EACH STATEMENT EXECUTE FUNCTION fitsstore_datachange();
CREATE TRIGGER diskfile_datachange AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON diskfile
  FOR EACH STATEMENT EXECUTE FUNCTION fitsstore_datachange();
CREATE TRIGGER header_datachange AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON header
  FOR EACH STATEMENT EXECUTE FUNCTION fitsstore_datachange();
CREATE TRIGGER fileuploadlog_datachange AFTER INSERT OR UPDATE OR TRUNCATE ON fileuploadlog
  FOR EACH STATEMENT EXECUTE FUNCTION fitsstore_datachange();
CREATE TRIGGER ingestqueue_datachange AFTER INSERT OR UPDATE OF failed OR TRUNCATE ON ingestqueue
  FOR EACH STATEMENT EXECUTE FUNCTION fitsstore_datachange();
