-- 0006_projections.sql — schema ledger_read: read models folded from the log by the projection
-- runner (Sources/Projections), and the checkpoint of each projection.
--
-- Everything here is derived: it can be dropped and rebuilt from ledger.events at any time
-- (`ledger projections rebuild`). Nothing here is part of the audit trail.
--
-- Who writes: the runner, as ledger_admin (it `SET ROLE ledger_admin`s after connecting, so the
-- tables a rebuild creates are owned by ledger_admin like these). Admins run projections
-- (DESIGN.md §1); no other role holds INSERT/UPDATE/DELETE here.
-- Who reads: ledger_auditor, ledger_officer, ledger_approver and ledger_writer (SELECT only).
--
-- A rebuild creates each table anew in ledger_read_build (LIKE the live one, so the shape below is
-- the only definition), fills it from position 0 while the live table keeps serving, and swaps it
-- in with one transaction. The default privileges below give the new tables the same readers.

SET LOCAL ROLE ledger_admin;

CREATE SCHEMA ledger_read AUTHORIZATION ledger_admin;
REVOKE ALL ON SCHEMA ledger_read FROM PUBLIC;
GRANT USAGE ON SCHEMA ledger_read TO ledger_auditor, ledger_officer, ledger_approver, ledger_writer;

-- Where a rebuild builds; nobody but the owner reads it.
CREATE SCHEMA ledger_read_build AUTHORIZATION ledger_admin;
REVOKE ALL ON SCHEMA ledger_read_build FROM PUBLIC;

ALTER DEFAULT PRIVILEGES FOR ROLE ledger_admin IN SCHEMA ledger_read
    GRANT SELECT ON TABLES TO ledger_auditor, ledger_officer, ledger_approver, ledger_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE ledger_admin IN SCHEMA ledger_read_build
    GRANT SELECT ON TABLES TO ledger_auditor, ledger_officer, ledger_approver, ledger_writer;

-- One row per projection: the last log position folded into its tables. The runner moves it in
-- the same transaction as the rows, with compare-and-set on (position, generation); a rebuild's
-- swap bumps generation, so a runner that folded the old tables notices and reloads.
CREATE TABLE ledger_read.checkpoints (
    projection  text        PRIMARY KEY,
    position    bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    generation  bigint      NOT NULL DEFAULT 0 CHECK (generation >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ledger_read.checkpoints (projection) VALUES
    ('applications'), ('budget_usage'), ('beneficiary_balances'), ('loan_book');

-- projection applications: one row per application.
CREATE TABLE ledger_read.applications (
    application_id        text    PRIMARY KEY,
    beneficiary_id        text    NOT NULL,
    program               text    NOT NULL,
    district              text    NOT NULL,
    fiscal_year           int     NOT NULL,
    status                text    NOT NULL,
    requested_vnd         bigint  NOT NULL,
    -- Zero unless approved.
    approved_vnd          bigint  NOT NULL,
    -- Payments net of reversals.
    paid_vnd              bigint  NOT NULL,
    reversed_vnd          bigint  NOT NULL,
    loan_principal_vnd    bigint  NOT NULL,
    -- approved − paid − loan principal while approved; zero in every other status.
    remaining_payable_vnd bigint  NOT NULL,
    -- Given back to the budget by a withdrawal or a closure.
    released_vnd          bigint  NOT NULL,
    payments              int     NOT NULL,
    decision_reference    text,
    rejection_reason      text,
    -- Database roles (session_user of the append), never client-supplied.
    submitted_by          text    NOT NULL,
    decided_by            text,
    submitted_on          date    NOT NULL,
    decided_on            date,
    withdrawn_on          date,
    closed_on             date,
    submitted_at          timestamptz NOT NULL,
    last_position         bigint  NOT NULL
);
CREATE INDEX applications_beneficiary_idx ON ledger_read.applications (beneficiary_id);
CREATE INDEX applications_status_idx ON ledger_read.applications (status, program);

-- projection budget_usage: per programme, fiscal year and district. Totals per programme or per
-- district are GROUP BY queries over it.
CREATE TABLE ledger_read.budget_usage (
    program                text   NOT NULL,
    fiscal_year            int    NOT NULL,
    district               text   NOT NULL,
    -- Allocations plus adjustments.
    allocated_vnd          bigint NOT NULL,
    -- Reserved by approvals (gross).
    reserved_vnd           bigint NOT NULL,
    -- Given back by withdrawals and closures.
    released_vnd           bigint NOT NULL,
    -- Payments net of reversals, plus loan principal disbursed.
    paid_vnd               bigint NOT NULL,
    -- Still held for open approvals: reserved − released − paid.
    committed_unpaid_vnd   bigint NOT NULL,
    -- What approvals may still reserve: allocated − reserved + released.
    available_vnd          bigint NOT NULL,
    approvals              int    NOT NULL,
    last_position          bigint NOT NULL,
    PRIMARY KEY (program, fiscal_year, district)
);

-- projection beneficiary_balances: per beneficiary and programme. Overdue amounts depend on the
-- date asked about; earliest_unpaid_due_on says from when (see loan_book for the figures).
CREATE TABLE ledger_read.beneficiary_balances (
    beneficiary_id            text   NOT NULL,
    program                   text   NOT NULL,
    kind                      text   NOT NULL,
    applications              int    NOT NULL,
    -- Approved amounts of applications approved or closed (not withdrawn).
    approved_vnd              bigint NOT NULL,
    -- Payments recorded (gross) and reversed.
    paid_vnd                  bigint NOT NULL,
    reversed_vnd              bigint NOT NULL,
    remaining_payable_vnd     bigint NOT NULL,
    loans                     int    NOT NULL,
    principal_disbursed_vnd   bigint NOT NULL,
    principal_repaid_vnd      bigint NOT NULL,
    -- Interest and overdue interest repaid.
    interest_repaid_vnd       bigint NOT NULL,
    -- Of active loans (settled and written-off loans owe nothing more here).
    outstanding_principal_vnd bigint NOT NULL,
    written_off_principal_vnd bigint NOT NULL,
    -- The earliest due date with principal still unpaid among active loans: overdue after it.
    earliest_unpaid_due_on    date,
    last_position             bigint NOT NULL,
    PRIMARY KEY (beneficiary_id, program)
);

-- projection loan_book: one row per loan, and the terms of each loan programme. `state` is the
-- domain's LoanState (Sources/Ledger/Loans) as JSON: with the programme's rate periods it gives
-- LoanPosition — accrued interest, days past due, arrears bucket — as of any date.
CREATE TABLE ledger_read.loan_book (
    loan_id                     text   PRIMARY KEY,
    application_id              text   NOT NULL,
    beneficiary_id              text   NOT NULL,
    program                     text   NOT NULL,
    status                      text   NOT NULL,
    principal_vnd               bigint NOT NULL,
    disbursed_on                date   NOT NULL,
    term_months                 int    NOT NULL,
    instalment_months           int    NOT NULL,
    overdue_multiplier_percent  int    NOT NULL,
    matures_on                  date,
    principal_repaid_vnd        bigint NOT NULL,
    interest_repaid_vnd         bigint NOT NULL,
    overdue_interest_repaid_vnd bigint NOT NULL,
    outstanding_principal_vnd   bigint NOT NULL,
    -- Interest fixed at the last repayment and not covered by it.
    unpaid_interest_vnd         bigint NOT NULL,
    unpaid_overdue_interest_vnd bigint NOT NULL,
    -- Interest is fixed up to this date; it accrues after it.
    last_accrual_on             date   NOT NULL,
    first_unpaid_due_on         date,
    repayments                  int    NOT NULL,
    settled_on                  date,
    written_off_on              date,
    written_off_principal_vnd   bigint,
    written_off_interest_vnd    bigint,
    -- [{"number", "due_on", "principal_vnd", "unpaid_vnd"}] in due-date order.
    schedule                    jsonb  NOT NULL,
    state                       jsonb  NOT NULL,
    last_position               bigint NOT NULL
);
CREATE INDEX loan_book_beneficiary_idx ON ledger_read.loan_book (beneficiary_id);

CREATE TABLE ledger_read.loan_terms (
    program                    text   PRIMARY KEY,
    -- Across amendments: earlier definitions' periods kept for the days before the current ones.
    rate_periods               jsonb  NOT NULL,
    overdue_multiplier_percent int    NOT NULL,
    max_term_months            int    NOT NULL,
    instalment_months          int    NOT NULL,
    last_position              bigint NOT NULL
);

GRANT SELECT ON ALL TABLES IN SCHEMA ledger_read TO ledger_auditor, ledger_officer, ledger_approver, ledger_writer;
