-- 0013_rule_hooks.sql — more rules per event type, each in its own function, registered as data.
--
-- The append's statement trigger (0009) folds each domain event into the state tables through
-- ledger.apply_domain_event, one CASE branch per type. Later migrations add event types
-- (BeneficiaryAmended, UnitDefined) and more rules on existing ones (places, categories,
-- national ids). Rather than rewriting that one function in every migration, a later rule is a
-- function registered in ledger.event_rules:
--
--     rule(e ledger.events, p_batch ledger.events[]) RETURNS text   -- the problem, or NULL
--
-- run after the built-in branch (and only when it found no problem), in the order of the
-- rule's name. It may read and write the state tables: it runs inside the trigger, as the
-- trigger's owner. Its problem is refused as LR001 like the built-in ones. An event type with a
-- schema but no built-in branch runs its registered rules only.
--
-- Who may register a rule: only the schema's owner (ledger_owner), i.e. a migration.

SET LOCAL ROLE ledger_owner;

CREATE TABLE ledger.event_rules (
    event_type text          NOT NULL,
    rule       regprocedure  NOT NULL,
    PRIMARY KEY (event_type, rule)
);
COMMENT ON TABLE ledger.event_rules IS
    'Rules run by the append''s trigger after ledger.apply_domain_event''s own, per event type (0013_rule_hooks.sql)';
GRANT SELECT ON ledger.event_rules TO ledger_auditor, ledger_admin;

-- The registered rules of one event, in name order; the first problem, or NULL.
CREATE FUNCTION ledger.apply_event_rules(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_rule    regprocedure;
    v_problem text;
BEGIN
    FOR v_rule IN SELECT r.rule FROM ledger.event_rules r WHERE r.event_type = e.event_type ORDER BY r.rule::text LOOP
        EXECUTE format('SELECT %s($1, $2)', v_rule::oid::regproc) INTO v_problem USING e, p_batch;
        IF v_problem IS NOT NULL THEN
            RETURN v_problem;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.apply_event_rules(ledger.events, ledger.events[]) FROM PUBLIC;

-- apply_domain_event: an unknown type falls through its CASE (no CASE_NOT_FOUND), and the
-- registered rules run after the built-in branch.
DO $hook$
DECLARE
    c_old_end constant text := E'    END CASE;\n\n    IF v_problem IS NOT NULL THEN';
    c_new_end constant text := E'    ELSE\n        NULL;  -- a type with registered rules only (0013)\n    END CASE;\n\n'
        || E'    IF v_problem IS NULL THEN\n        v_problem := ledger.apply_event_rules(e, p_batch);\n    END IF;\n\n'
        || E'    IF v_problem IS NOT NULL THEN';
    v_definition text;
BEGIN
    v_definition := pg_get_functiondef('ledger.apply_domain_event(ledger.events, ledger.events[])'::regprocedure);
    IF (length(v_definition) - length(replace(v_definition, c_old_end, ''))) / length(c_old_end) <> 1 THEN
        RAISE EXCEPTION 'ledger.apply_domain_event does not end its CASE as 0009_domain_rules.sql does';
    END IF;
    EXECUTE replace(v_definition, c_old_end, c_new_end);
END
$hook$;
