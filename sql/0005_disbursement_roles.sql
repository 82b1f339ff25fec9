-- 0005_disbursement_roles.sql — the people who use the ledger, what each may append, and the
-- keys the database itself keeps unique: payment ids, national-id fingerprints, four eyes.
--
-- Group roles for people (log in as your own role, a member of one of these):
--   ledger_officer   records beneficiaries, applications, payments, reversals, loans, repayments
--   ledger_approver  approves or rejects applications (never their own), writes loans off
--   ledger_auditor   reads and verifies (0001)
--   ledger_admin     owns the schema (0001); loads programmes, allocates budgets, adds users
-- ledger_writer keeps its '*' grant (0002) for service accounts; people never get it.

DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['ledger_officer', 'ledger_approver'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another database's migration created it at the same moment
            END;
        END IF;
    END LOOP;
END
$roles$;

-- ledger.add_user (below) runs as ledger_admin and creates login roles.
ALTER ROLE ledger_admin CREATEROLE;

SET LOCAL ROLE ledger_admin;

GRANT USAGE ON SCHEMA ledger TO ledger_officer, ledger_approver;
GRANT SELECT ON ledger.events, ledger.streams, ledger.head, ledger.commands, ledger.append_grants
    TO ledger_officer, ledger_approver;
GRANT EXECUTE ON FUNCTION ledger.append(text, jsonb) TO ledger_officer, ledger_approver, ledger_admin;
GRANT EXECUTE ON FUNCTION ledger.limits(), ledger.digest(),
    ledger.event_canonical_text(bigint, text, bigint, text, int, bigint, jsonb, jsonb),
    ledger.event_hash(bytea, text)
    TO ledger_officer, ledger_approver;

-- Which role may append which event type (checked by ledger.append against session_user).
INSERT INTO ledger.append_grants (role_name, event_type) VALUES
    ('ledger_admin', 'ProgramDefined'),
    ('ledger_admin', 'ProgramAmended'),
    ('ledger_admin', 'BudgetAllocated'),
    ('ledger_admin', 'BudgetAdjusted'),
    ('ledger_officer', 'BeneficiaryRegistered'),
    ('ledger_officer', 'ApplicationSubmitted'),
    ('ledger_officer', 'ApplicationWithdrawn'),
    ('ledger_officer', 'ApplicationClosed'),
    ('ledger_officer', 'PaymentRecorded'),
    ('ledger_officer', 'PaymentReversed'),
    ('ledger_officer', 'FundsReleased'),
    ('ledger_officer', 'BenefitReleased'),
    ('ledger_officer', 'LoanDisbursed'),
    ('ledger_officer', 'LoanOpened'),
    ('ledger_officer', 'LoanRepaid'),
    ('ledger_officer', 'LoanSettled'),
    ('ledger_approver', 'ApplicationApproved'),
    ('ledger_approver', 'ApplicationRejected'),
    ('ledger_approver', 'FundsReserved'),
    ('ledger_approver', 'BenefitCommitted'),
    ('ledger_approver', 'LoanWrittenOff');

-- Payment ids are unique across the whole ledger: the payment id is the idempotency key of
-- a payment (bulk imports re-run safely). Filled from the log by the trigger below, in the
-- append's own transaction; rebuildable from the events.
CREATE TABLE ledger.payment_ids (
    payment_id         text   PRIMARY KEY,
    application_stream text   NOT NULL,
    position           bigint NOT NULL
);
REVOKE ALL ON ledger.payment_ids FROM PUBLIC;
GRANT SELECT ON ledger.payment_ids TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

-- One beneficiary per national id: the keyed fingerprint (never the id itself) is unique.
CREATE TABLE ledger.national_ids (
    fingerprint        text   PRIMARY KEY,
    beneficiary_stream text   NOT NULL,
    position           bigint NOT NULL
);
REVOKE ALL ON ledger.national_ids FROM PUBLIC;
GRANT SELECT ON ledger.national_ids TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

CREATE TRIGGER payment_ids_refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.payment_ids
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('a payment id is recorded once');
CREATE TRIGGER payment_ids_refuse_truncate BEFORE TRUNCATE ON ledger.payment_ids
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('a payment id is recorded once');
CREATE TRIGGER national_ids_refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.national_ids
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('a national id is registered once');
CREATE TRIGGER national_ids_refuse_truncate BEFORE TRUNCATE ON ledger.national_ids
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('a national id is registered once');

-- Runs inside ledger.append (appends are serialised, so check-then-insert cannot race; the
-- primary key is the backstop). LD001/LD002 abort the whole append.
CREATE FUNCTION ledger.index_unique_keys() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_key      text;
    v_existing text;
BEGIN
    IF NEW.event_type = 'PaymentRecorded' THEN
        v_key := NEW.payload ->> 'payment_id';
        SELECT application_stream INTO v_existing FROM ledger.payment_ids WHERE payment_id = v_key;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'LD001',
                MESSAGE = format('payment id %s is already recorded on %s', v_key, v_existing);
        END IF;
        INSERT INTO ledger.payment_ids VALUES (v_key, NEW.stream_id, NEW.position);
    ELSIF NEW.event_type = 'BeneficiaryRegistered' AND NEW.payload ? 'national_id_fingerprint'
          AND jsonb_typeof(NEW.payload -> 'national_id_fingerprint') = 'string' THEN
        v_key := NEW.payload ->> 'national_id_fingerprint';
        SELECT beneficiary_stream INTO v_existing FROM ledger.national_ids WHERE fingerprint = v_key;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'LD002',
                MESSAGE = format('a beneficiary with this national id is already registered (%s)', v_existing);
        END IF;
        INSERT INTO ledger.national_ids VALUES (v_key, NEW.stream_id, NEW.position);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.index_unique_keys() FROM PUBLIC;
CREATE TRIGGER events_index_unique_keys AFTER INSERT ON ledger.events
    FOR EACH ROW WHEN (NEW.event_type IN ('PaymentRecorded', 'BeneficiaryRegistered'))
    EXECUTE FUNCTION ledger.index_unique_keys();

-- Four eyes, on database identities: whoever appended an application's ApplicationSubmitted
-- may not append its ApplicationApproved or ApplicationRejected (LD003), whatever the client does.
CREATE FUNCTION ledger.enforce_four_eyes() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_submitter text;
BEGIN
    SELECT e.metadata ->> 'actor' INTO v_submitter
    FROM ledger.events e
    WHERE e.stream_id = NEW.stream_id AND e.event_type = 'ApplicationSubmitted'
    ORDER BY e.stream_version
    LIMIT 1;
    IF v_submitter IS NOT NULL AND v_submitter = NEW.metadata ->> 'actor' THEN
        RAISE EXCEPTION USING ERRCODE = 'LD003',
            MESSAGE = format('four eyes: %s submitted %s and may not decide it', v_submitter, NEW.stream_id);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.enforce_four_eyes() FROM PUBLIC;
CREATE TRIGGER events_enforce_four_eyes AFTER INSERT ON ledger.events
    FOR EACH ROW WHEN (NEW.event_type IN ('ApplicationApproved', 'ApplicationRejected'))
    EXECUTE FUNCTION ledger.enforce_four_eyes();

-- Snapshots of long streams (a district budget collects one reservation per approval), so a
-- decision reads a snapshot plus the few events after it instead of the whole stream. A cache:
-- never part of the log, never read by audit; a missing or stale one only costs time.
CREATE TABLE ledger.snapshots (
    stream_id    text        PRIMARY KEY,
    version      bigint      NOT NULL CHECK (version > 0),
    state_type   text        NOT NULL,
    state_schema int         NOT NULL,
    state        jsonb       NOT NULL,
    taken_at     timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON ledger.snapshots FROM PUBLIC;
GRANT SELECT ON ledger.snapshots TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;
GRANT INSERT, UPDATE ON ledger.snapshots TO ledger_writer, ledger_officer, ledger_approver;

-- Creates a login role for a person, member of one group (admins only). Identifiers cannot be
-- parameters, so the name is checked against a strict pattern and quoted with %I.
CREATE FUNCTION ledger.add_user(p_name text, p_role text, p_password text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_group text;
BEGIN
    IF p_name IS NULL OR p_name !~ '^[a-z_][a-z0-9_]{0,62}$' OR p_name LIKE 'pg\_%' OR p_name LIKE 'ledger\_%' THEN
        RAISE EXCEPTION USING ERRCODE = 'LB010', MESSAGE = format(
            'user name %s: use 1-63 lowercase letters, digits and _, starting with a letter or _, not pg_ or ledger_',
            coalesce(to_jsonb(p_name)::text, 'null'));
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('officer', 'approver', 'auditor', 'admin') THEN
        RAISE EXCEPTION USING ERRCODE = 'LB010', MESSAGE = format(
            'role %s: must be officer, approver, auditor or admin', coalesce(to_jsonb(p_role)::text, 'null'));
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_name) THEN
        RAISE EXCEPTION USING ERRCODE = 'LB011', MESSAGE = format('user %s already exists', p_name);
    END IF;
    v_group := 'ledger_' || p_role;
    IF p_password IS NULL THEN
        EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', p_name, v_group);
    ELSE
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_name, p_password, v_group);
    END IF;
    RETURN v_group;
END
$$;
REVOKE ALL ON FUNCTION ledger.add_user(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.add_user(text, text, text) TO ledger_admin;
