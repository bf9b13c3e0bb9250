-- A one-time sign-in link by mail: the owner of an address gets in while ten wrong passwords
-- from someone else keep the password sign-in locked.
ALTER TABLE auth_tokens DROP CONSTRAINT auth_tokens_purpose_check;
ALTER TABLE auth_tokens ADD CONSTRAINT auth_tokens_purpose_check
    CHECK (purpose IN ('password_reset', 'email_verification', 'sign_in_link'));
