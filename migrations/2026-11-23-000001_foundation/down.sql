DROP TABLE mail_outbox;
DROP TABLE login_failures;
DROP TABLE auth_tokens;
DROP TABLE refresh_tokens;
DROP TABLE users;
