ALTER TABLE mail_outbox
    DROP CONSTRAINT mail_outbox_secret_whole,
    DROP COLUMN secret_key_id,
    DROP COLUMN secret_ciphertext;
