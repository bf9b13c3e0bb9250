-- A coordinator may withdraw an invitation that has not been accepted: it is closed (like one
-- replaced by a newer invitation, so the address may be invited again) and its link says so.
ALTER TABLE invitations
    ADD COLUMN withdrawn_at timestamptz,
    ADD CONSTRAINT invitations_withdrawn_is_closed
        CHECK (withdrawn_at IS NULL OR (superseded_at IS NOT NULL AND accepted_at IS NULL));
