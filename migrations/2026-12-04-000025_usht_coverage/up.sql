-- Which USHT covers which municipalities: an administrator gives county numbers and municipality
-- numbers (`ushts.covers`, as given), and every municipality they name is one row here, so that
-- no municipality can be covered by two USHTs.
ALTER TABLE ushts ADD COLUMN covers text[] NOT NULL DEFAULT '{}';

CREATE TABLE usht_coverage (
    municipality_number text PRIMARY KEY CHECK (municipality_number ~ '^[0-9]{4}$'),
    usht_id uuid NOT NULL REFERENCES ushts (id) ON DELETE CASCADE
);
CREATE INDEX usht_coverage_usht_id ON usht_coverage (usht_id);
