DROP FUNCTION begin_sign_in(text, text, timestamptz, bigint);
