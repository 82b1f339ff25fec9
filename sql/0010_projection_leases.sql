-- 0010_projection_leases.sql — projection leases only the runner can take; where each projection
-- stalled; the read models' shapes kept for a rebuild that finds a live table missing.
--
-- Leases. Until now a runner (and a rebuild) held `pg_try_advisory_lock(74701/74702, hashtext(name))`:
-- any role may take an advisory lock, so anyone who could log in could stop `projections run` and
-- `projections rebuild`. A lease is now a table lock on an empty view of its own
-- (ledger_read.lease_<projection>_runner / _rebuild), taken `IN EXCLUSIVE MODE NOWAIT` by a
-- connection the runner keeps for its whole life, inside one open transaction:
-- - LOCK TABLE in that mode needs UPDATE (or DELETE/TRUNCATE) on the view, granted to ledger_admin
--   alone; auditors, officers, approvers and writers get nothing on these views (not even SELECT),
--   so they cannot lock them in any mode, and EXCLUSIVE does not conflict with ACCESS SHARE anyway.
-- - A table lock needs no transaction id and, in READ COMMITTED, the idle transaction keeps no
--   snapshot: holding it for days holds back neither VACUUM nor anyone's row. (A row lock —
--   SELECT … FOR UPDATE on a lease row — would assign a transaction id and hold back the xmin
--   horizon of the whole database for the runner's life; that is why the lease is not a row lock.)
-- - The lease connection writes nothing: the runner's batches and their checkpoint
--   compare-and-set run on another connection and never wait on it.
-- - It ends with the connection: a killed runner's server process ends its transaction.
-- - Views, not tables: nothing for autovacuum to visit (it would need SHARE UPDATE EXCLUSIVE).
-- `projection_leases` records who took each lease and when (written after the lock is taken); a
-- lease counts as held only while pg_locks shows that lock granted.
--
-- Stalls. A projection that meets an event it cannot read (or whose amounts would overflow) stops
-- at the event before; the runner records here where and why, and the other projections go on.
--
-- Shapes. `ledger projections rebuild` creates its new tables LIKE ledger_read_build.shape_<table>,
-- copies taken below from the tables of 0006 (still their one definition): a rebuild no longer
-- needs the live table, so it recreates one that was dropped. A migration that changes a
-- read-model table changes its shape_ copy the same way.

SET LOCAL ROLE ledger_admin;

CREATE VIEW ledger_read.lease_applications_runner AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_applications_rebuild AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_budget_usage_runner AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_budget_usage_rebuild AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_beneficiary_balances_runner AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_beneficiary_balances_rebuild AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_loan_book_runner AS SELECT NULL::int AS lease WHERE false;
CREATE VIEW ledger_read.lease_loan_book_rebuild AS SELECT NULL::int AS lease WHERE false;

REVOKE ALL ON ledger_read.lease_applications_runner, ledger_read.lease_applications_rebuild,
    ledger_read.lease_budget_usage_runner, ledger_read.lease_budget_usage_rebuild,
    ledger_read.lease_beneficiary_balances_runner, ledger_read.lease_beneficiary_balances_rebuild,
    ledger_read.lease_loan_book_runner, ledger_read.lease_loan_book_rebuild
    FROM PUBLIC, ledger_auditor, ledger_officer, ledger_approver, ledger_writer;
GRANT SELECT, UPDATE ON ledger_read.lease_applications_runner, ledger_read.lease_applications_rebuild,
    ledger_read.lease_budget_usage_runner, ledger_read.lease_budget_usage_rebuild,
    ledger_read.lease_beneficiary_balances_runner, ledger_read.lease_beneficiary_balances_rebuild,
    ledger_read.lease_loan_book_runner, ledger_read.lease_loan_book_rebuild
    TO ledger_admin;

-- Who holds (or last held) each lease: the lease connection's server process, its login role, and
-- since when. Readers see it (`ledger projections status`).
CREATE TABLE ledger_read.projection_leases (
    projection  text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('runner', 'rebuild')),
    holder_pid  int         NOT NULL,
    holder_role text        NOT NULL,
    since       timestamptz NOT NULL,
    PRIMARY KEY (projection, kind)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON ledger_read.projection_leases TO ledger_admin;

-- Where a projection stopped: the position of the event it could not fold, and why. NULL while it runs.
ALTER TABLE ledger_read.checkpoints
    ADD COLUMN stalled_at     bigint CHECK (stalled_at > 0),
    ADD COLUMN stalled_reason text;

CREATE TABLE ledger_read_build.shape_applications (LIKE ledger_read.applications INCLUDING ALL);
CREATE TABLE ledger_read_build.shape_budget_usage (LIKE ledger_read.budget_usage INCLUDING ALL);
CREATE TABLE ledger_read_build.shape_beneficiary_balances (LIKE ledger_read.beneficiary_balances INCLUDING ALL);
CREATE TABLE ledger_read_build.shape_loan_book (LIKE ledger_read.loan_book INCLUDING ALL);
CREATE TABLE ledger_read_build.shape_loan_terms (LIKE ledger_read.loan_terms INCLUDING ALL);
REVOKE ALL ON ledger_read_build.shape_applications, ledger_read_build.shape_budget_usage,
    ledger_read_build.shape_beneficiary_balances, ledger_read_build.shape_loan_book, ledger_read_build.shape_loan_terms
    FROM PUBLIC, ledger_auditor, ledger_officer, ledger_approver, ledger_writer;
GRANT SELECT ON ledger_read_build.shape_applications, ledger_read_build.shape_budget_usage,
    ledger_read_build.shape_beneficiary_balances, ledger_read_build.shape_loan_book, ledger_read_build.shape_loan_terms
    TO ledger_admin;
