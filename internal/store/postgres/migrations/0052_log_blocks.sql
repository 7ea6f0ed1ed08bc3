-- Log events move from one row per event to blocks: one row per stream and batch of events, in
-- time order, that scans read sequentially (see store/logblocks.go for the encoding).
-- Existing events are gathered into blocks per stream and hour, in (time, id) order, at most
-- 10,000 to a block.
CREATE TABLE log_blocks (
    id         BIGSERIAL PRIMARY KEY,
    group_id   BIGINT  NOT NULL,
    stream_id  BIGINT  NOT NULL,
    first_ts   BIGINT  NOT NULL,
    last_ts    BIGINT  NOT NULL,
    count      INTEGER NOT NULL,
    bytes      BIGINT  NOT NULL,
    data       TEXT    NOT NULL
);
CREATE INDEX log_blocks_by_group_first ON log_blocks (group_id, first_ts, id);
CREATE INDEX log_blocks_by_group_last ON log_blocks (group_id, last_ts, id);
CREATE INDEX log_blocks_by_stream_first ON log_blocks (stream_id, first_ts, id);
CREATE INDEX log_blocks_by_stream_last ON log_blocks (stream_id, last_ts, id);
INSERT INTO log_blocks (group_id, stream_id, first_ts, last_ts, count, bytes, data)
    SELECT group_id, stream_id, min(ts), max(ts), count(*), sum(octet_length(piece)),
        string_agg(piece, '' ORDER BY ts, id)
    FROM (
        SELECT id, group_id, stream_id, ts, bucket, part,
            (ts - min(ts) OVER (PARTITION BY stream_id, bucket, part)) || ',' || (ingested - ts) || ',' ||
                octet_length(message) || ':' || message AS piece
        FROM (
            SELECT id, group_id, stream_id, ts, ingested, message, ts / 3600000 AS bucket,
                (row_number() OVER (PARTITION BY stream_id, ts / 3600000 ORDER BY ts, id) - 1) / 10000 AS part
            FROM log_events) AS numbered) AS pieces
    GROUP BY group_id, stream_id, bucket, part
    ORDER BY min(id);
DROP TABLE log_events;
