-- SQLite keeps a trigram index of event messages at this version; PostgreSQL searches with
-- strpos over the (group, time) index, so there is nothing to add.
SELECT 1;
