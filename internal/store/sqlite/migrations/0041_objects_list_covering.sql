-- A listing reads every column it reports from the index of current versions, without a lookup
-- of each row in the table (a page of 1,000 keys otherwise costs 1,000 table searches).
DROP INDEX s3_objects_current;
CREATE INDEX s3_objects_current ON s3_objects (bucket, key, version_id, size, etag, created, attrs) WHERE is_latest = 1 AND delete_marker = 0;
