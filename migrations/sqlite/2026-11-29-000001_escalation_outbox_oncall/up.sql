-- Escalation, notifications and the on-call roster (DESIGN §2, §6).

-- The next instant at which a running clock crosses a threshold not yet fired; the sweep
-- reads only tickets whose instant has passed, through this partial index.
ALTER TABLE tickets ADD COLUMN next_escalation_at TIMESTAMP;
CREATE INDEX tickets_next_escalation ON tickets (next_escalation_at)
    WHERE next_escalation_at IS NOT NULL;

-- One row per (ticket, clock run, level): a second firing is a unique violation. A clock run
-- is identified by its start (fix start runs again after a reopening).
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    clock TEXT NOT NULL CHECK (clock IN ('response', 'fix_start', 'resolve')),
    level TEXT NOT NULL CHECK (level IN ('warning', 'breach', 'manager')),
    clock_started_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    fired_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, clock, level, clock_started_at)
);

-- Who is on call when; "on call now" is the latest-starting shift that covers the instant.
CREATE TABLE oncall_shifts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_at TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX oncall_shifts_span ON oncall_shifts (starts_at, ends_at);

-- Webhook endpoints; the secret signs each body (HMAC-SHA256), so it is kept as given.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    secret TEXT NOT NULL CHECK (length(secret) >= 16),
    description TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TIMESTAMP NOT NULL
);

-- Messages to send, written in the transaction of their cause. A worker claims a message
-- for a lease, sends it, and marks it delivered; failures back off and finally park it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    topic TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets(id),
    webhook_id BIGINT REFERENCES webhooks(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    html TEXT,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    delivered_at TIMESTAMP,
    parked_at TIMESTAMP,
    last_error TEXT,
    CHECK ((channel = 'webhook') = (webhook_id IS NOT NULL)),
    CHECK (delivered_at IS NULL OR parked_at IS NULL)
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_parked ON outbox (parked_at) WHERE parked_at IS NOT NULL;
CREATE INDEX outbox_ticket ON outbox (ticket_id);
