-- 0012_stale_turn.sql — nobody can hold the log by leaving an append's transaction open.
--
-- An append holds ledger.head until its transaction ends. People's login roles end an idle
-- transaction after idle_in_transaction_session_timeout (0011), but that is only a default: a
-- person can `SET idle_in_transaction_session_timeout = 0` in their own session, append, and walk
-- away. Every other writer would then get "another append holds the log" (0009) for as long as
-- that session lives. So when an append cannot take its turn within its lock timeout, it ends
-- the sessions that hold the log while idle in a transaction for longer than
-- ledger.limits_stale_turn() (their transaction is rolled back: nothing they appended was
-- committed), and tries once more. A transaction that is working (a long import's append) is
-- never ended, nor a superuser's session (PostgreSQL does not let pg_signal_backend signal one).
--
-- This file must run as a superuser: only one may grant pg_signal_backend and pg_read_all_stats
-- (the second lets the function see other roles' session states) to ledger_owner.

GRANT pg_signal_backend, pg_read_all_stats TO ledger_owner;

SET LOCAL ROLE ledger_owner;

-- How long a transaction may sit idle while it holds the log before the next append ends it.
CREATE FUNCTION ledger.limits_stale_turn() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN interval '10 seconds';
REVOKE ALL ON FUNCTION ledger.limits_stale_turn() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.limits_stale_turn()
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver, ledger_admin;

-- Ends every other session that has taken its turn on ledger.head (an append's row lock; a
-- reader's SELECT does not count) and sits idle in a transaction for longer than the limit;
-- returns what it ended, as "pid (role, idle since …)".
CREATE FUNCTION ledger.end_stale_turns() RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_ended text[] := '{}';
    v_holder record;
BEGIN
    FOR v_holder IN
        SELECT DISTINCT a.pid, a.usename, a.state_change
        FROM pg_catalog.pg_locks l
        JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.relation = 'ledger.head'::regclass AND l.granted
          -- Taken by an append (FOR UPDATE, then UPDATE), never by a reader's SELECT.
          AND l.mode IN ('RowShareLock', 'RowExclusiveLock')
          AND l.pid <> pg_backend_pid()
          AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
          AND a.state_change < clock_timestamp() - ledger.limits_stale_turn()
    LOOP
        IF pg_terminate_backend(v_holder.pid) THEN
            v_ended := v_ended || format('%s (%s, idle since %s)', v_holder.pid, v_holder.usename, v_holder.state_change);
        END IF;
    END LOOP;
    RETURN v_ended;
END
$$;
REVOKE ALL ON FUNCTION ledger.end_stale_turns() FROM PUBLIC;

-- The append's turn (0009's block around the head lock): on a lock timeout, end stale holders
-- and, if there were any, wait once more (each ended session releases the log as it exits).
DO $turn$
DECLARE
    c_old constant text := $old$    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION USING
            ERRCODE = 'LL001',
            MESSAGE = format('another append holds the log; try again (waited %s)', current_setting('lock_timeout')),
            HINT = 'a transaction that called ledger.append has not ended; pg_stat_activity shows it';
    END;$old$;
    c_new constant text := $new$    EXCEPTION WHEN lock_not_available THEN
        IF cardinality(ledger.end_stale_turns()) = 0 THEN
            RAISE EXCEPTION USING
                ERRCODE = 'LL001',
                MESSAGE = format('another append holds the log; try again (waited %s)', current_setting('lock_timeout')),
                HINT = 'a transaction that called ledger.append has not ended; pg_stat_activity shows it';
        END IF;
        BEGIN
            SELECT h.last_position, h.last_hash INTO v_last_position, v_last_hash
            FROM ledger.head h
            WHERE h.singleton
            FOR UPDATE;
        EXCEPTION WHEN lock_not_available THEN
            RAISE EXCEPTION USING
                ERRCODE = 'LL001',
                MESSAGE = format('another append holds the log; try again (waited %s twice)', current_setting('lock_timeout')),
                HINT = 'a transaction that called ledger.append has not ended; pg_stat_activity shows it';
        END;
    END;$new$;
    v_definition text;
BEGIN
    v_definition := pg_get_functiondef('ledger.append(text, jsonb)'::regprocedure);
    IF (length(v_definition) - length(replace(v_definition, c_old, ''))) / length(c_old) <> 1 THEN
        RAISE EXCEPTION 'ledger.append does not have the turn of 0009_domain_rules.sql exactly once';
    END IF;
    EXECUTE replace(v_definition, c_old, c_new);
END
$turn$;
