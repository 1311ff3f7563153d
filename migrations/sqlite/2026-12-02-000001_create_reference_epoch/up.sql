-- The reference epoch: a counter that every change to what a filing reads besides its own
-- request (organizations, users, tokens, policies and their versions, contracts, webhooks,
-- the on-call roster) moves on, in the changing transaction. A service instance may keep
-- those rows in memory as long as the epoch it read them at is still current; a filing
-- checks that in the transaction that writes it, so a cached row is never used after it
-- changed. New rows that nobody can have cached yet (a new user, a sign-in's token) do not
-- move it.
CREATE TABLE reference_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO reference_epoch (id, epoch) VALUES (1, 1);

CREATE TRIGGER organizations_epoch_update AFTER UPDATE ON organizations
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER organizations_epoch_delete AFTER DELETE ON organizations
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER users_epoch_update AFTER UPDATE ON users
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER users_epoch_delete AFTER DELETE ON users
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER auth_tokens_epoch_update AFTER UPDATE ON auth_tokens
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER auth_tokens_epoch_delete AFTER DELETE ON auth_tokens
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER policies_epoch_update AFTER UPDATE ON policies
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER policies_epoch_delete AFTER DELETE ON policies
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER policy_versions_epoch_insert AFTER INSERT ON policy_versions
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER policy_versions_epoch_update AFTER UPDATE ON policy_versions
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER policy_versions_epoch_delete AFTER DELETE ON policy_versions
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER contracts_epoch_insert AFTER INSERT ON contracts
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER contracts_epoch_update AFTER UPDATE ON contracts
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER contracts_epoch_delete AFTER DELETE ON contracts
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER webhooks_epoch_insert AFTER INSERT ON webhooks
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER webhooks_epoch_update AFTER UPDATE ON webhooks
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER webhooks_epoch_delete AFTER DELETE ON webhooks
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER oncall_shifts_epoch_insert AFTER INSERT ON oncall_shifts
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER oncall_shifts_epoch_update AFTER UPDATE ON oncall_shifts
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
CREATE TRIGGER oncall_shifts_epoch_delete AFTER DELETE ON oncall_shifts
BEGIN UPDATE reference_epoch SET epoch = epoch + 1; END;
