-- 0018_one_meaning.sql — one meaning per word in the read models (issue 8, "What an outside
-- recomputation found"; the words are defined in docs/domain.md, "Words with one meaning").
--
-- beneficiary_balances counted `approved` only for applications approved or closed (not those
-- withdrawn after approval, whose release it still counted) and `paid` before reversals, while
-- the applications read model and the beneficiary statement counted every approval and paid net
-- of reversals. From this migration on, every read model and report says:
--   approved         every approval, whatever happened to the application afterwards;
--   paid             payments net of reversals (reversed: what the bank returned);
--   released         what withdrawals and closures gave back to the budget;
--   remaining/still payable = approved − paid − loan principal − released (never below zero).
-- beneficiary_balances gains `released_vnd` so that its row adds up on its own. budget_usage's
-- paid_vnd counted loan principal too; it gains `lent_vnd` for that, and paid_vnd means paid.
--
-- Upgrading a ledger: beneficiary_balances and budget_usage are emptied and its checkpoint set back to 0 (a new
-- generation, so a runner still running re-reads it), so the next `ledger projections run` (or
-- `rebuild`) folds the whole log into it with the new meaning; until then `ledger projections
-- status` shows it behind the log. The shape copy that rebuilds create their tables from
-- (ledger_read_build.shape_beneficiary_balances, 0010) changes the same way. Nothing in ledger or
-- ledger_meta changes.
--
-- A rule the arithmetic needs: a payment can be reversed only while its application is approved
-- and open. Swift refused a reversal on a closed application (`wrongStatus`), the database did
-- not: such a reversal would make approved − paid − loan principal − released differ from still
-- payable (zero once closed). Registered in ledger.event_rules (0013) as ledger_owner; `ledger
-- audit verify` names such a reversal recorded before (lifecycle).
--
-- The read models are owned by ledger_admin (0006, 0010, 0011): the rest of this file acts as
-- ledger_admin. The file needs a session that may act as both (a superuser, or a deploy account
-- that is a member of ledger_owner and ledger_admin; docs/operations.md, "Who migrates").

DO $who$
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user)
       AND NOT (pg_catalog.pg_has_role(session_user, 'ledger_admin', 'MEMBER')
                AND pg_catalog.pg_has_role(session_user, 'ledger_owner', 'MEMBER')) THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format(
            '0018_one_meaning.sql registers a rule as ledger_owner and changes read models in ledger_read, which '
            'ledger_admin owns: run `ledger migrate` as a superuser, or as a deploy account that is a member of both '
            '(role %s is neither)',
            session_user);
    END IF;
END
$who$;

SET LOCAL ROLE ledger_owner;

CREATE FUNCTION ledger.rule_reversal_while_approved(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_id     constant text := substr(e.stream_id, length('application-') + 1);
    v_status text;
BEGIN
    SELECT f.status INTO v_status FROM ledger.application_facts f WHERE f.application_id = v_id;
    IF v_status IS DISTINCT FROM 'approved' THEN
        RETURN format('application %s is %s; only an approved, open application''s payments can be reversed',
                      v_id, coalesce(v_status, 'not submitted'));
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.rule_reversal_while_approved(ledger.events, ledger.events[]) FROM PUBLIC;
INSERT INTO ledger.event_rules (event_type, rule)
VALUES ('PaymentReversed', 'ledger.rule_reversal_while_approved(ledger.events, ledger.events[])');

SET LOCAL ROLE ledger_admin;

ALTER TABLE IF EXISTS ledger_read.beneficiary_balances ADD COLUMN released_vnd bigint NOT NULL DEFAULT 0;
ALTER TABLE IF EXISTS ledger_read.beneficiary_balances ALTER COLUMN released_vnd DROP DEFAULT;
ALTER TABLE ledger_read_build.shape_beneficiary_balances ADD COLUMN released_vnd bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_read_build.shape_beneficiary_balances ALTER COLUMN released_vnd DROP DEFAULT;

-- budget_usage: paid_vnd counted loan principal with payments; from here paid_vnd is payments net
-- of reversals, as everywhere, and lent_vnd the loan principal disbursed.
ALTER TABLE IF EXISTS ledger_read.budget_usage ADD COLUMN lent_vnd bigint NOT NULL DEFAULT 0;
ALTER TABLE IF EXISTS ledger_read.budget_usage ALTER COLUMN lent_vnd DROP DEFAULT;
ALTER TABLE ledger_read_build.shape_budget_usage ADD COLUMN lent_vnd bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger_read_build.shape_budget_usage ALTER COLUMN lent_vnd DROP DEFAULT;
-- Folded again from the start with the new meanings (a ledger whose checkpoint is still at 0
-- has nothing to fold again).
TRUNCATE ledger_read.beneficiary_balances, ledger_read.budget_usage;
UPDATE ledger_read.checkpoints
SET position = 0, generation = generation + 1, updated_at = now(), stalled_at = NULL, stalled_reason = NULL
WHERE projection IN ('beneficiary_balances', 'budget_usage') AND (position > 0 OR stalled_at IS NOT NULL);

COMMENT ON COLUMN ledger_read.beneficiary_balances.approved_vnd IS
    'Every approval of the beneficiary''s applications in the programme, those withdrawn or closed after it included';
COMMENT ON COLUMN ledger_read.beneficiary_balances.paid_vnd IS 'Payments net of reversals';
COMMENT ON COLUMN ledger_read.beneficiary_balances.reversed_vnd IS 'Payments returned by the bank (already out of paid_vnd)';
COMMENT ON COLUMN ledger_read.beneficiary_balances.released_vnd IS 'Given back to the budget by withdrawals and closures';
COMMENT ON COLUMN ledger_read.beneficiary_balances.remaining_payable_vnd IS
    'Still payable: approved − paid − principal disbursed − released';
COMMENT ON COLUMN ledger_read.applications.approved_vnd IS
    'The approved amount, kept after a withdrawal or closure (then released_vnd says what went back); zero if never approved';
COMMENT ON COLUMN ledger_read.applications.paid_vnd IS 'Payments net of reversals';
COMMENT ON COLUMN ledger_read.budget_usage.paid_vnd IS 'Payments net of reversals on the budget''s applications';
COMMENT ON COLUMN ledger_read.budget_usage.lent_vnd IS 'Loan principal disbursed on the budget''s applications';
COMMENT ON COLUMN ledger_read.budget_usage.committed_unpaid_vnd IS 'Reserved − released − paid − lent';
COMMENT ON COLUMN ledger_read.applications.remaining_payable_vnd IS
    'Still payable: approved − paid − loan principal − released (zero unless approved)';
