-- The web site: lookups its pages make, and one grant per thing per user.

-- /usagedetails/<id> lists the row's query and download logs.
CREATE INDEX querylog_usagelog ON querylog (usagelog_id);
CREATE INDEX downloadlog_usagelog ON downloadlog (usagelog_id);

-- /usagereport filters: "all the 500s" and "everything from this IP", newest first.
CREATE INDEX usagelog_status ON usagelog (status, utdatetime DESC);
CREATE INDEX usagelog_ip ON usagelog (ip_address, utdatetime DESC);

-- Logins clear a user's expired sessions.
CREATE INDEX usersession_user ON usersession (user_id, expires);

-- `fitsstore user grant` twice is a no-op, not a second row.
CREATE UNIQUE INDEX userprogram_grant ON userprogram
  (user_id, COALESCE(program_id, ''), COALESCE(observation_id, ''), COALESCE(filename, ''));
