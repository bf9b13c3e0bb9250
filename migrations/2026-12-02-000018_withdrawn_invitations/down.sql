ALTER TABLE invitations DROP COLUMN withdrawn_at;
