DROP TABLE outbox;
DROP TABLE webhooks;
DROP TABLE oncall_shifts;
DROP TABLE escalations;
DROP INDEX tickets_next_escalation;
ALTER TABLE tickets DROP COLUMN next_escalation_at;
