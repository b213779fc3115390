-- Retransmissions answered from the log, and $replay entries pointing at what they replayed.
ALTER TABLE message_log ADD COLUMN retransmissions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE message_log ADD COLUMN replay_of BIGINT;
CREATE INDEX message_log_by_status ON message_log (tenant, status, received_at);
