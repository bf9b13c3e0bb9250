DROP TRIGGER municipalities_notify_changed ON municipalities;
DROP TRIGGER access_log_no_truncate ON access_log;
DROP TRIGGER access_log_append_only ON access_log;
DROP FUNCTION access_log_is_append_only();
ALTER TABLE users DROP COLUMN erased_at;
