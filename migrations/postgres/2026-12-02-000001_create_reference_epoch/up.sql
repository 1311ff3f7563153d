-- The reference epoch: a counter that every change to what a filing reads besides its own
-- request (organizations, users, tokens, policies and their versions, contracts, webhooks,
-- the on-call roster) moves on, in the changing transaction. A service instance may keep
-- those rows in memory as long as the epoch it read them at is still current; a filing
-- checks that in the statement that writes it, so a cached row is never used after it
-- changed. New rows that nobody can have cached yet (a new user, a sign-in's token) do not
-- move it.
CREATE TABLE reference_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO reference_epoch (id, epoch) VALUES (1, 1);

-- Deferred to the commit, once per transaction: the epoch row is locked only for the
-- moment of committing, always as the last lock a transaction takes, so two transactions
-- changing reference rows in different orders cannot deadlock on it.
CREATE FUNCTION bump_reference_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('frist.reference_epoch_moved', true) IS DISTINCT FROM 'yes' THEN
        UPDATE reference_epoch SET epoch = epoch + 1 WHERE id = 1;
        PERFORM set_config('frist.reference_epoch_moved', 'yes', true);
    END IF;
    RETURN NULL;
END; $$;

CREATE CONSTRAINT TRIGGER organizations_epoch AFTER UPDATE OR DELETE ON organizations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
CREATE CONSTRAINT TRIGGER users_epoch AFTER UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
CREATE CONSTRAINT TRIGGER auth_tokens_epoch AFTER UPDATE OR DELETE ON auth_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
CREATE CONSTRAINT TRIGGER policies_epoch AFTER UPDATE OR DELETE ON policies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
CREATE CONSTRAINT TRIGGER policy_versions_epoch AFTER INSERT OR UPDATE OR DELETE ON policy_versions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
CREATE CONSTRAINT TRIGGER contracts_epoch AFTER INSERT OR UPDATE OR DELETE ON contracts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
CREATE CONSTRAINT TRIGGER webhooks_epoch AFTER INSERT OR UPDATE OR DELETE ON webhooks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
CREATE CONSTRAINT TRIGGER oncall_shifts_epoch AFTER INSERT OR UPDATE OR DELETE ON oncall_shifts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_reference_epoch();
