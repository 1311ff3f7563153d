-- Core schema (DESIGN §2). Instants are UTC, stored as TIMESTAMP text; enums are text with CHECKs.
CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 200),
    timezone TEXT NOT NULL,
    is_provider BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('customer', 'technician', 'manager', 'admin')),
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);

CREATE TABLE auth_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE calendars (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 100),
    spec TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE policies (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 100),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE policy_versions (
    id BIGSERIAL PRIMARY KEY,
    policy_id BIGINT NOT NULL REFERENCES policies(id),
    version INTEGER NOT NULL CHECK (version >= 1),
    spec TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES users(id),
    UNIQUE (policy_id, version)
);

CREATE TABLE contracts (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    policy_id BIGINT NOT NULL REFERENCES policies(id),
    oncall_24x7 BOOLEAN NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP,
    notice_months INTEGER NOT NULL DEFAULT 3 CHECK (notice_months >= 0),
    created_at TIMESTAMP NOT NULL,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX contracts_organization ON contracts (organization_id, valid_from);

CREATE TABLE tickets (
    id BIGSERIAL PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    reporter_id BIGINT NOT NULL REFERENCES users(id),
    assignee_id BIGINT REFERENCES users(id),
    contract_id BIGINT REFERENCES contracts(id),
    policy_version_id BIGINT NOT NULL REFERENCES policy_versions(id),
    title TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'serious', 'normal')),
    category TEXT NOT NULL CHECK (category IN ('outage', 'customer_outage', 'functional_fault', 'question', 'other')),
    channel TEXT NOT NULL CHECK (channel IN ('portal', 'email', 'phone', 'api')),
    status TEXT NOT NULL CHECK (status IN ('open', 'waiting_on_customer', 'resolved', 'closed')),
    reported_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    out_of_hours BOOLEAN NOT NULL,
    oncall_now BOOLEAN NOT NULL,
    fee_minor BIGINT CHECK (fee_minor IS NULL OR fee_minor >= 0),
    fee_currency TEXT,
    fee_accepted_by BIGINT REFERENCES users(id),
    fee_accepted_at TIMESTAMP,
    response_due_at TIMESTAMP,
    response_met_at TIMESTAMP,
    fix_start_due_at TIMESTAMP,
    fix_start_met_at TIMESTAMP,
    resolve_due_at TIMESTAMP,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    reopened_at TIMESTAMP,
    next_due_at TIMESTAMP,
    CHECK ((fee_minor IS NULL) = (fee_currency IS NULL)),
    CHECK (fee_minor IS NULL OR (fee_accepted_by IS NOT NULL AND fee_accepted_at IS NOT NULL))
);
CREATE INDEX tickets_organization_status ON tickets (organization_id, status);
CREATE INDEX tickets_next_due ON tickets (next_due_at);
CREATE INDEX tickets_response_due ON tickets (response_due_at);
CREATE INDEX tickets_fix_start_due ON tickets (fix_start_due_at);
CREATE INDEX tickets_assignee ON tickets (assignee_id);

CREATE TABLE ticket_events (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    at TIMESTAMP NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('created', 'comment_public', 'comment_internal',
        'status_changed', 'severity_changed', 'paused', 'resumed', 'fix_started', 'escalation',
        'fee_accepted', 'deadline_recomputed', 'assigned', 'contract_changed', 'reopened')),
    public BOOLEAN NOT NULL,
    body TEXT,
    data TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Events are an audit trail: never updated, never deleted.
CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END; $$;
CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

CREATE TABLE pauses (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    started_by BIGINT REFERENCES users(id),
    ended_by BIGINT REFERENCES users(id),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX pauses_ticket ON pauses (ticket_id, started_at);
CREATE UNIQUE INDEX pauses_one_open ON pauses (ticket_id) WHERE ended_at IS NULL;
