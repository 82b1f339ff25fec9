-- 0012_stale_turn.sql — the rights the append's stale-turn check needs (0009, "The turn").
--
-- An append that cannot take its turn ends the sessions holding the log idle in a transaction
-- (ledger.end_stale_turns, 0009): that needs pg_signal_backend to end another role's session and
-- pg_read_all_stats to see its state. Only a superuser may grant them, so this file must run
-- as one. The function is owned by ledger_owner (0011), so ledger_owner gets them; nobody logs
-- in as it, and `ledger audit schema` watches its functions.

GRANT pg_signal_backend, pg_read_all_stats TO ledger_owner;
