-- The retransmission lookup filters on (tenant, sender, control id) and received_at.
-- With the time only in its own index, SQLite's planner chose message_log_by_time and
-- scanned every entry of the window for each message (3-6 ms of CPU per message at
-- a few thousand entries); one index with all four columns is the obvious choice.
DROP INDEX message_log_by_control_id;
CREATE INDEX message_log_by_control_id ON message_log (tenant, sender, control_id, received_at);
