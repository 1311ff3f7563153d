-- Monthly SLA reports (DESIGN §7, §10).

-- One row per met clock run: what the run used, stored when it is met (and again when a
-- severity or contract change moves its deadline), so a report never walks the engine for
-- a met clock. A run is identified by its start (fix start runs again after a reopening);
-- an earlier run's row stays when the ticket is reopened. `decided_at` is when its outcome
-- was decided: the met instant if met on time, the due instant if met late.
CREATE TABLE met_clocks (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    clock TEXT NOT NULL CHECK (clock IN ('response', 'fix_start', 'resolve')),
    started_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    met_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    used_secs BIGINT NOT NULL CHECK (used_secs >= 0),
    paused_secs BIGINT NOT NULL CHECK (paused_secs >= 0),
    UNIQUE (ticket_id, clock, started_at)
);
CREATE INDEX met_clocks_decided ON met_clocks (decided_at);

-- A closed month, in versions: version 1 is the close on the 1st, each recompute adds the
-- next one. Rows below are never updated or deleted.
CREATE TABLE report_versions (
    id BIGSERIAL PRIMARY KEY,
    month TEXT NOT NULL CHECK (char_length(month) = 7),
    version INTEGER NOT NULL CHECK (version >= 1),
    computed_at TIMESTAMP NOT NULL,
    computed_by BIGINT REFERENCES users(id),
    reason TEXT NOT NULL DEFAULT '' CHECK (char_length(reason) <= 2000),
    UNIQUE (month, version)
);

-- One immutable row per ticket x clock decided in the month, plus the pending ones, as the
-- report showed them.
CREATE TABLE report_rows (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES report_versions(id),
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    ticket_number TEXT NOT NULL,
    title TEXT NOT NULL,
    clock TEXT NOT NULL CHECK (clock IN ('response', 'fix_start', 'resolve')),
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    policy_version_id BIGINT NOT NULL,
    target TEXT NOT NULL,
    target_secs BIGINT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP,
    met_at TIMESTAMP,
    outcome TEXT NOT NULL CHECK (outcome IN ('met', 'breached', 'pending')),
    decided_at TIMESTAMP,
    used_secs BIGINT NOT NULL,
    paused_secs BIGINT NOT NULL,
    overrun_secs BIGINT NOT NULL,
    explanation TEXT NOT NULL,
    pauses TEXT NOT NULL,
    escalations TEXT NOT NULL,
    fee_minor BIGINT,
    fee_currency TEXT
);
CREATE INDEX report_rows_organization ON report_rows (report_id, organization_id, id);

-- Per organization and version: the ticket-level figures of the month (filed, fees,
-- reopened, ...) as JSON, and the SHA-256 of the organization's CSV.
CREATE TABLE report_organizations (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES report_versions(id),
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    organization_name TEXT NOT NULL,
    figures TEXT NOT NULL,
    csv_sha256 TEXT NOT NULL CHECK (char_length(csv_sha256) = 64),
    UNIQUE (report_id, organization_id)
);

-- Why a clock breached, set by a manager afterwards; one per clock run.
CREATE TABLE breach_causes (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    clock TEXT NOT NULL CHECK (clock IN ('response', 'fix_start', 'resolve')),
    started_at TIMESTAMP NOT NULL,
    cause TEXT NOT NULL CHECK (cause IN ('third_party', 'severity_misjudged', 'staffing',
                                         'customer_unreachable', 'other')),
    note TEXT NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    set_by BIGINT REFERENCES users(id),
    set_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, clock, started_at)
);

-- Customer users who receive their organization's monthly report (admins set the flag).
CREATE TABLE report_recipients (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    added_at TIMESTAMP NOT NULL
);

-- One row per (organization, month, version) whose report mail went into the outbox: a
-- second instance, or a restart, finds it and sends nothing.
CREATE TABLE report_mails (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    month TEXT NOT NULL,
    version INTEGER NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, month, version)
);

-- Attachments of a message, as JSON [{"name", "content_type", "base64"}].
ALTER TABLE outbox ADD COLUMN attachments TEXT;

-- The month's tickets by when they were filed; reopenings and waiting tickets, few, by
-- partial indexes.
CREATE INDEX tickets_reported ON tickets (reported_at);
CREATE INDEX tickets_waiting ON tickets (reported_at) WHERE status = 'waiting_on_customer';
CREATE INDEX ticket_events_reopened ON ticket_events (at) WHERE kind = 'reopened';
