-- 0008_beneficiary_lookup_index.sql — finding a beneficiary's applications and loans
-- (`ledger audit history --beneficiary`, `ledger report beneficiary`) without scanning the log:
-- a partial expression index over the two event types that name a beneficiary. A few MB per
-- million events; appends of other types do not touch it (docs/scaling.md).

SET LOCAL ROLE ledger_admin;

CREATE INDEX events_beneficiary_idx ON ledger.events ((payload ->> 'beneficiary_id'))
    WHERE event_type IN ('ApplicationSubmitted', 'LoanDisbursed');
