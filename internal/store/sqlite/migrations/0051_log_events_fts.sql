-- A trigram index of event messages: searches for literals read only the events that contain
-- them. Contentless: the messages stay in log_events only; rowid is log_events.id.
CREATE VIRTUAL TABLE log_events_fts USING fts5(message, content='', contentless_delete=1, tokenize='trigram');
INSERT INTO log_events_fts (rowid, message) SELECT id, message FROM log_events;
