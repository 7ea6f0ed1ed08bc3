-- SQLite's 0041 makes the index of current versions cover a listing's columns. PostgreSQL keeps
-- its index as it is: an index entry is limited to about 2.7 KB, which an object's attributes
-- (headers and up to 2 KB of user metadata) can exceed, and a listing there already reads 100,000
-- keys in about half a second.
SELECT 1;
