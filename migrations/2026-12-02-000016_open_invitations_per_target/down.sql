-- Back to one open invitation per address: of several, the newest stays open.
UPDATE invitations i SET superseded_at = now()
 WHERE accepted_at IS NULL AND superseded_at IS NULL
   AND EXISTS (SELECT 1 FROM invitations o
                WHERE lower(o.email) = lower(i.email) AND o.id <> i.id
                  AND o.accepted_at IS NULL AND o.superseded_at IS NULL
                  AND (o.created_at, o.id) > (i.created_at, i.id));
DROP INDEX invitations_open_email_key;
CREATE UNIQUE INDEX invitations_open_email_key ON invitations (lower(email))
    WHERE accepted_at IS NULL AND superseded_at IS NULL;
