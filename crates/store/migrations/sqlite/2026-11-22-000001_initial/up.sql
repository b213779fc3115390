-- Every table carries `tenant` from the first migration (DESIGN: storage).

-- Every version of every resource, immutable. `seq` orders history across the server.
CREATE TABLE resource_version (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    last_updated BIGINT NOT NULL, -- microseconds since the Unix epoch
    method TEXT NOT NULL,         -- POST, PUT or DELETE
    deleted BOOLEAN NOT NULL,
    body TEXT,                    -- NULL for a delete
    CONSTRAINT resource_version_key UNIQUE (tenant, resource_type, resource_id, version)
);
CREATE INDEX resource_version_by_type ON resource_version (tenant, resource_type, seq);
CREATE INDEX resource_version_by_time ON resource_version (tenant, last_updated);

-- The current-version pointer, with a copy of the current body so a read is one lookup.
CREATE TABLE resource_current (
    tenant TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    method TEXT NOT NULL,
    deleted BOOLEAN NOT NULL,
    body TEXT,
    PRIMARY KEY (tenant, resource_type, resource_id)
);

-- Raw HL7 v2 messages as received, before anything is parsed.
CREATE TABLE message_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    sender TEXT NOT NULL,
    control_id TEXT NOT NULL,
    message_type TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    raw BLOB NOT NULL,
    status TEXT NOT NULL,
    ack BLOB,
    issues TEXT,
    flags TEXT
);
CREATE INDEX message_log_by_control_id ON message_log (tenant, sender, control_id);
CREATE INDEX message_log_by_time ON message_log (tenant, received_at);

-- Changes waiting to be delivered to subscribers (filled in the write's transaction).
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    event TEXT NOT NULL,
    route TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE audit_event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
