-- One open invitation per address and place (municipality or USHT), no longer per address: a
-- coordinator inviting an address another USHT has invited is not told of that invitation.
-- The service still refuses a second open invitation within the caller's own USHT.
DROP INDEX invitations_open_email_key;
CREATE UNIQUE INDEX invitations_open_email_key
    ON invitations (lower(email), coalesce(municipality_id, usht_id))
    WHERE accepted_at IS NULL AND superseded_at IS NULL;
