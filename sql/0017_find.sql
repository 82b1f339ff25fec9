-- 0017_find.sql — read models for finding things: beneficiaries (searchable by a folded name and
-- by national-id fingerprint), payments, and each application's steps (who recorded what, when).
--
-- Like every read model these are derived data (`ledger projections rebuild` recreates them from
-- the log; `ledger audit reconcile` compares them with it), in ledger_read, owned by ledger_admin
-- (0006, 0010, 0011): this file therefore creates them as ledger_admin, not ledger_owner, and
-- needs a session that may act as ledger_admin — a superuser, or a deploy account that is also
-- a member of ledger_admin (docs/operations.md, "Who migrates").
--
-- Upgrading a ledger: the new checkpoints start at position 0, so the next `ledger projections
-- run` (or `rebuild`) folds the whole log into the new tables; until then `ledger beneficiary
-- search`, `payment list` and `application show` say how far behind the log they are. Nothing
-- in ledger or ledger_meta changes.
--
-- Readers: the default privileges of 0006 give SELECT on tables ledger_admin creates in
-- ledger_read to ledger_auditor, ledger_officer, ledger_approver and ledger_writer.

DO $who$
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user)
       AND NOT pg_catalog.pg_has_role(session_user, 'ledger_admin', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format(
            '0017_find.sql creates read models in ledger_read, which ledger_admin owns: run `ledger migrate` as a '
            'superuser, or as a deploy account that is also a member of ledger_admin (role %s is neither)',
            session_user);
    END IF;
END
$who$;

SET LOCAL ROLE ledger_admin;

-- projection beneficiaries: one row per beneficiary as registered and amended since.
CREATE TABLE ledger_read.beneficiaries (
    beneficiary_id          text        PRIMARY KEY,
    kind                    text        NOT NULL,
    name                    text        NOT NULL,
    -- The name in lower case without diacritics (đ → d), spaces collapsed: what `beneficiary
    -- search --name` matches against (the search text folded the same way, in Swift).
    name_folded             text        NOT NULL,
    -- The administrative unit's code (the old district codes are unit codes).
    unit                    text        NOT NULL,
    -- Category names, sorted: a JSON array of strings.
    categories              jsonb       NOT NULL,
    bank_account            text,
    -- HMAC-SHA-256 fingerprint of the national id (never the id).
    national_id_fingerprint text,
    registered_by           text        NOT NULL,
    registered_at           timestamptz NOT NULL,
    -- The business date registered (NULL for registrations recorded before it was given).
    registered_on           date,
    amendments              int         NOT NULL,
    last_amended_on         date,
    last_amended_by         text,
    last_amended_at         timestamptz,
    last_position           bigint      NOT NULL
);
CREATE INDEX beneficiaries_name_folded_idx ON ledger_read.beneficiaries (name_folded text_pattern_ops);
CREATE INDEX beneficiaries_fingerprint_idx ON ledger_read.beneficiaries (national_id_fingerprint);
CREATE INDEX beneficiaries_unit_idx ON ledger_read.beneficiaries (unit);

-- projection payments: one row per payment recorded, with its reversal if any.
CREATE TABLE ledger_read.payments (
    payment_id      text        PRIMARY KEY,
    application_id  text        NOT NULL,
    beneficiary_id  text        NOT NULL,
    program         text        NOT NULL,
    unit            text        NOT NULL,
    fiscal_year     int         NOT NULL,
    amount_vnd      bigint      NOT NULL,
    paid_on         date        NOT NULL,
    method          text        NOT NULL,
    voucher         text        NOT NULL,
    bank_account    text,
    recorded_by     text        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    -- Set once the payment is reversed (then it no longer counts as paid).
    reversed_on     date,
    reversal_reason text,
    reversed_by     text,
    reversed_at     timestamptz,
    last_position   bigint      NOT NULL
);
CREATE INDEX payments_application_idx ON ledger_read.payments (application_id);
CREATE INDEX payments_beneficiary_idx ON ledger_read.payments (beneficiary_id);
CREATE INDEX payments_paid_on_idx ON ledger_read.payments (paid_on);

-- projection application_steps: one row per event of an application and of its loans, in log
-- order: what happened (step), its business date, amount, reference and detail, who recorded it
-- and when.
CREATE TABLE ledger_read.application_steps (
    application_id  text        NOT NULL,
    position        bigint      NOT NULL,
    -- submitted, approved, rejected, withdrawn, payment, reversal, loan-opened, closed,
    -- loan-disbursed, loan-repaid, loan-settled, loan-written-off.
    step            text        NOT NULL,
    business_date   date        NOT NULL,
    amount_vnd      bigint,
    -- Released to the budget by a withdrawal or a closure.
    released_vnd    bigint,
    -- Decision reference, payment id, loan id or repayment id.
    reference       text,
    -- Reason, voucher and method, or what a repayment covered.
    detail          text,
    recorded_by     text        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (application_id, position)
);

INSERT INTO ledger_read.checkpoints (projection) VALUES ('beneficiaries'), ('payments'), ('application_steps');

-- Leases (0010): only ledger_admin may lock them.
CREATE VIEW ledger_read.lease_beneficiaries_runner AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_beneficiaries_rebuild AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_payments_runner AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_payments_rebuild AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_application_steps_runner AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_application_steps_rebuild AS SELECT NULL::int AS lease WHERE false;
REVOKE ALL ON ledger_read.lease_beneficiaries_runner, ledger_read.lease_beneficiaries_rebuild,
    ledger_read.lease_payments_runner, ledger_read.lease_payments_rebuild,
    ledger_read.lease_application_steps_runner, ledger_read.lease_application_steps_rebuild
    FROM PUBLIC, ledger_auditor, ledger_officer, ledger_approver, ledger_writer;
GRANT SELECT, UPDATE ON ledger_read.lease_beneficiaries_runner, ledger_read.lease_beneficiaries_rebuild,
    ledger_read.lease_payments_runner, ledger_read.lease_payments_rebuild,
    ledger_read.lease_application_steps_runner, ledger_read.lease_application_steps_rebuild
    TO ledger_admin;

-- Shapes (0010): what a rebuild creates its tables LIKE.
CREATE TABLE ledger_read_build.shape_beneficiaries (LIKE ledger_read.beneficiaries INCLUDING ALL);
CREATE TABLE ledger_read_build.shape_payments (LIKE ledger_read.payments INCLUDING ALL);
CREATE TABLE ledger_read_build.shape_application_steps (LIKE ledger_read.application_steps INCLUDING ALL);
REVOKE ALL ON ledger_read_build.shape_beneficiaries, ledger_read_build.shape_payments, ledger_read_build.shape_application_steps
    FROM PUBLIC, ledger_auditor, ledger_officer, ledger_approver, ledger_writer;
GRANT SELECT ON ledger_read_build.shape_beneficiaries, ledger_read_build.shape_payments, ledger_read_build.shape_application_steps
    TO ledger_admin;
