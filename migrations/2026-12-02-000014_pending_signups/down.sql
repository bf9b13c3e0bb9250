-- Pending sign-ups become unverified accounts again (their links are not carried back).
INSERT INTO users (email, name, role, password_hash, municipality_id, self_enrolled, created_at)
SELECT s.email, s.name, 'mentor', s.password_hash, s.municipality_id, true, s.created_at
  FROM signups s
 WHERE s.confirmed_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(s.email));
DROP TABLE signups;
