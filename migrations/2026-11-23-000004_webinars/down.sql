DROP TABLE access_log;
DROP TABLE certificates;
DROP TABLE idempotency_keys;
DROP TABLE webinar_attendance;
DROP TABLE webinar_registrations;
DROP TABLE webinar_sessions;
DROP TABLE webinar_series;
