-- FIFO claims walk a queue's grouped messages in sequence (rowid) order with this index and stop
-- at the first free ones, instead of sorting every visible message.
CREATE INDEX queue_messages_fifo ON queue_messages (queue_id) WHERE group_id <> '';
