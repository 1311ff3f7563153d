-- pgbench custom script: one durable single-row INSERT per transaction, into a table
-- shaped like a frist ticket row (see pgbench.sh for the CREATE TABLE).
-- Run with `pgbench -n -f pgbench_insert.sql`; each line of SQL is its own transaction
-- (autocommit), so every INSERT ends in a commit and, with fsync/synchronous_commit on,
-- a WAL flush: the same durability frist's `POST /api/v1/tickets` promises.
\set org random(1, 50)
\set reporter random(1, 1000)
\set sev random(0, 2)
INSERT INTO bench_tickets (org_id, reporter_id, title, description, severity, category, status,
                           created_at, updated_at, response_due_at, fix_start_due_at)
VALUES (:org, :reporter, 'Printer on fire', 'Load test ticket',
        (ARRAY['critical','serious','normal'])[:sev + 1], 'functional_fault', 'open',
        now(), now(), now() + interval '2 hours', now() + interval '8 hours');
