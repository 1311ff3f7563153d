-- pgbench custom script: what one filing writes, as PostgreSQL alone does it in one
-- transaction: a copy of the first ticket frist filed in this database (every column, so the
-- same indexes, constraints and foreign keys are maintained), its `created` event and its
-- receipt e-mail in the outbox (the rendered subject, text and HTML). Run by `run.sh --db
-- postgres` against frist's own database after frist's runs, at the same client counts.
WITH first AS (SELECT min(id) AS id FROM tickets),
t AS (
    INSERT INTO tickets (number, organization_id, reporter_id, assignee_id, contract_id,
        policy_version_id, title, description, severity, category, channel, status,
        reported_at, created_at, updated_at, out_of_hours, oncall_now, fee_minor, fee_currency,
        fee_accepted_by, fee_accepted_at, response_due_at, response_met_at, fix_start_due_at,
        fix_start_met_at, resolve_due_at, resolved_at, closed_at, reopened_at, next_due_at,
        next_escalation_at)
    SELECT 'P-' || nextval('tickets_id_seq'), organization_id, reporter_id, assignee_id,
        contract_id, policy_version_id, title, description, severity, category, channel, status,
        reported_at, now(), now(), out_of_hours, oncall_now, fee_minor, fee_currency,
        fee_accepted_by, fee_accepted_at, response_due_at, response_met_at, fix_start_due_at,
        fix_start_met_at, resolve_due_at, resolved_at, closed_at, reopened_at, next_due_at,
        next_escalation_at
    FROM tickets WHERE id = (SELECT id FROM first)
    RETURNING id
),
e AS (
    INSERT INTO ticket_events (ticket_id, at, actor_id, kind, public, body, data)
    SELECT t.id, now(), x.actor_id, x.kind, x.public, x.body, x.data
    FROM t, ticket_events x WHERE x.ticket_id = (SELECT id FROM first) AND x.kind = 'created'
)
INSERT INTO outbox (event_id, channel, topic, ticket_id, webhook_id, recipient, subject, body,
    html, created_at, next_attempt_at)
SELECT md5(random()::text) || md5(random()::text), o.channel, o.topic, t.id, o.webhook_id,
    o.recipient, o.subject, o.body, o.html, now(), now()
FROM t, outbox o WHERE o.ticket_id = (SELECT id FROM first) AND o.channel = 'email';
