DROP TABLE audit_event;
DROP TABLE outbox;
DROP TABLE message_log;
DROP TABLE resource_current;
DROP TABLE resource_version;
