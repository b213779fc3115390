DROP INDEX message_log_by_control_id;
CREATE INDEX message_log_by_control_id ON message_log (tenant, sender, control_id);
