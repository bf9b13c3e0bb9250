-- Every access token names the account's session version; raising it ends every access token
-- issued before, at once and on every instance (they hear of it through the `user_changed`
-- notification of migration 000006, as the change is not one of the activity stamps).
ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 1 CHECK (session_version > 0);
