DROP INDEX message_log_by_status;
ALTER TABLE message_log DROP COLUMN replay_of;
ALTER TABLE message_log DROP COLUMN retransmissions;
