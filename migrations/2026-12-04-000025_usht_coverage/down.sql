DROP TABLE usht_coverage;
ALTER TABLE ushts DROP COLUMN covers;
