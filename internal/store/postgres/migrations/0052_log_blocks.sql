-- Log events move from one row per event to blocks: one row per stream and batch of events, in
-- time order, that scans read sequentially (see store/logblocks.go for the encoding). Each
-- existing event becomes a block of its own.
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
    SELECT group_id, stream_id, ts, ts, 1, octet_length(data), data FROM (
        SELECT id, group_id, stream_id, ts,
            '0,' || (ingested - ts) || ',' || octet_length(message) || ':' || message AS data
        FROM log_events) AS events ORDER BY id;
DROP TABLE log_events;
