-- 0021_compiled_checks.sql — the payload schemas and the registered rules compiled into code
-- (docs/performance.md, "The checks compiled").
--
-- Every domain event of every append is checked against its payload schema
-- (ledger.event_schemas and ledger.event_schema_fields, 0009) and runs the rules registered for
-- its type (ledger.event_rules, 0013). Both read their tables on every event: the payload check
-- with three queries and a loop over the fields, the registered rules with a query and, per
-- rule, an EXECUTE that is parsed and planned again each time. Together they were about a third
-- of the database's work per recorded payment.
--
-- Now each table is compiled into the function that reads it:
--
--   * ledger.payload_problem is generated from the two schema tables: one branch per event type
--     and schema version with its stream prefix, its known fields and one check per field, in
--     the order of the field's name (byte order): a quick test written inline
--     (ledger.quick_value_check) and, when it is not true, ledger.value_problem as before, for
--     the exact message. Its answers are the general function's, which stays as
--     ledger.payload_problem_by_table
--     (now naming the fields in byte order too, whatever the database's collation) and which the
--     tests compare it with on the same inputs.
--   * ledger.apply_event_rules is generated from ledger.event_rules: per event type, a direct call
--     of each registered rule in the order of its name (byte order), the first problem returned.
--
-- A statement trigger on each table compiles again after any change to it, in the same
-- transaction: a rule registered by a later migration runs from its commit, and one deleted stops.
-- Outside a migration that is a schema change, recorded by 0011's event trigger like any other.

SET LOCAL ROLE ledger_owner;

---------------------------------------------------------------------------------------------
-- 1. The payload check
---------------------------------------------------------------------------------------------
ALTER FUNCTION ledger.payload_problem(text, int, text, jsonb) RENAME TO payload_problem_by_table;

-- The general function names the first bad field in byte order, as the compiled one does.
DO $order$
DECLARE
    c_old constant text := 'ORDER BY f.field';
    c_new constant text := 'ORDER BY f.field COLLATE "C"';
    v_definition text;
BEGIN
    v_definition := pg_get_functiondef('ledger.payload_problem_by_table(text, int, text, jsonb)'::regprocedure);
    IF (length(v_definition) - length(replace(v_definition, c_old, ''))) / length(c_old) <> 1 THEN
        RAISE EXCEPTION 'ledger.payload_problem does not order its fields as 0009_domain_rules.sql does';
    END IF;
    EXECUTE replace(v_definition, c_old, c_new);
END
$order$;

-- ledger.integer_problem's own conditions, inline: a JSON number, whole, within the bounds (the
-- CASE keeps the casts from reading anything but a number).
CREATE FUNCTION ledger.quick_integer_check(p_value text, p_low text, p_high text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN format($q$CASE WHEN jsonb_typeof(%1$s) = 'number' THEN %1$s::numeric = trunc(%1$s::numeric)$q$
              || $q$ AND %1$s::numeric BETWEEN %2$s AND %3$s ELSE false END$q$, p_value, p_low, p_high);

-- A quick test, as an SQL expression over p_value (the text of an expression giving the jsonb
-- value), that is true only for values ledger.value_problem finds nothing wrong with: for most
-- kinds its own conditions written inline; for text, dates and bank accounts the common case
-- (printable ASCII and Latin letters; the 1st to 28th of a month of 2000–2099) and false
-- otherwise. The compiled
-- payload check calls value_problem only when it is not true, for the value's exact problem, so
-- a value the quick test refuses is still judged by value_problem. NULL: the kind has none.
-- A migration that changes value_problem must keep this true of it; CompiledChecksTests compares
-- the compiled check with the general one on values at every edge of these tests.
CREATE FUNCTION ledger.quick_value_check(p_kind text, p_value text, p_max int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, ledger, pg_temp
RETURN CASE p_kind
    WHEN 'id' THEN format($q$jsonb_typeof(%1$s) = 'string' AND (%1$s #>> '{}') ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'$q$, p_value)
    -- printable ASCII (space to ~, by code point) and the Latin letters of U+00C0…U+024F and
    -- U+1E00…U+1EFF (Vietnamese among them; none a control, format or blank character, each at
    -- most 3 bytes of UTF-8), with one character other than a space
    WHEN 'text' THEN CASE WHEN p_max IS NOT NULL THEN
        format($q$jsonb_typeof(%1$s) = 'string' AND length(%1$s #>> '{}') <= %2$s$q$
               || $q$ AND (%1$s #>> '{}') ~ '^[ -~\u00c0-\u024f\u1e00-\u1eff]*[!-~\u00c0-\u024f\u1e00-\u1eff][ -~\u00c0-\u024f\u1e00-\u1eff]*$'$q$,
               p_value, p_max) END
    WHEN 'bank_account' THEN CASE WHEN p_max IS NOT NULL THEN
        format($q$jsonb_typeof(%1$s) = 'string' AND length(%1$s #>> '{}') <= %2$s$q$
               || $q$ AND (%1$s #>> '{}') ~ '^[A-Za-z0-9 -]*[A-Za-z0-9-][A-Za-z0-9 -]*$'$q$, p_value, p_max) END
    WHEN 'amount' THEN ledger.quick_integer_check(p_value, '1', '1000000000000000')
    WHEN 'amount_or_zero' THEN ledger.quick_integer_check(p_value, '0', '1000000000000000')
    WHEN 'delta' THEN format('(%s) AND %s <> ''0''::jsonb',
                             ledger.quick_integer_check(p_value, '-1000000000000000', '1000000000000000'), p_value)
    WHEN 'year' THEN ledger.quick_integer_check(p_value, '2000', '2100')
    WHEN 'months' THEN ledger.quick_integer_check(p_value, '1', '600')
    WHEN 'multiplier' THEN ledger.quick_integer_check(p_value, '100', '1000')
    WHEN 'date' THEN format($q$jsonb_typeof(%1$s) = 'string'$q$
                            || $q$ AND (%1$s #>> '{}') ~ '^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$'$q$, p_value)
    WHEN 'boolean' THEN format($q$jsonb_typeof(%1$s) = 'boolean'$q$, p_value)
    WHEN 'district' THEN format($q$jsonb_typeof(%1$s) = 'string' AND length(%1$s #>> '{}') <= 64$q$
                                || $q$ AND (%1$s #>> '{}') ~ '^[a-z0-9]+(-[a-z0-9]+)*$'$q$, p_value)
    WHEN 'program_kind' THEN format($q$%s IN ('"grant"', '"loan"')$q$, p_value)
    WHEN 'beneficiary_kind' THEN format($q$%s IN ('"person"', '"household"')$q$, p_value)
    WHEN 'method' THEN format($q$%s IN ('"bank"', '"cash"')$q$, p_value)
    WHEN 'unit_kind' THEN format($q$%s IN ('"district"', '"ward"', '"commune"')$q$, p_value)
    WHEN 'fingerprint' THEN format($q$jsonb_typeof(%1$s) = 'string' AND (%1$s #>> '{}') ~ '^[0-9a-f]{64}$'$q$, p_value)
END;

-- Writes ledger.payload_problem from the schema tables. The generated function answers as
-- ledger.payload_problem_by_table does, without reading a table unless the answer is a problem.
CREATE FUNCTION ledger.compile_payload_problem() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $compile$
DECLARE
    c_domain_streams constant text := '^(unit|program|budget|beneficiary|application|loan)-';
    v_types    text := '';
    v_type     text;
    v_versions text;
    v_branches text;
    v_schema   record;
    v_field    record;
    v_fields   text;
    v_known    text;
    v_value    text;
    v_quick    text;
BEGIN
    FOR v_type IN SELECT t.event_type FROM (SELECT DISTINCT s.event_type FROM ledger.event_schemas s) AS t ORDER BY t.event_type COLLATE "C" LOOP
        SELECT string_agg(s.schema_version::text, ', ' ORDER BY s.schema_version) INTO v_versions
        FROM ledger.event_schemas s WHERE s.event_type = v_type;
        v_branches := '';
        FOR v_schema IN
            SELECT s.schema_version, s.stream_prefix FROM ledger.event_schemas s
            WHERE s.event_type = v_type ORDER BY s.schema_version
        LOOP
            v_fields := '';
            FOR v_field IN
                SELECT f.field, f.kind, f.required, f.max_chars FROM ledger.event_schema_fields f
                WHERE f.event_type = v_type AND f.schema_version = v_schema.schema_version ORDER BY f.field COLLATE "C"
            LOOP
                v_value := format('(p_payload -> %L)', v_field.field);
                v_quick := ledger.quick_value_check(v_field.kind, v_value, v_field.max_chars);
                v_fields := v_fields || format(
                    E'            IF %s THEN\n'
                    || E'                %s\n'
                    || E'            %s\n'
                    || E'                v_problem := ledger.value_problem(%L, %s, %s);\n'
                    || E'                IF v_problem IS NOT NULL THEN RETURN format(''payload.%%s: %%s'', %L, v_problem); END IF;\n'
                    || E'            END IF;\n',
                    CASE WHEN v_field.kind = 'loan_terms' THEN format('jsonb_typeof(%s) IS NULL', v_value)
                         ELSE format('coalesce(jsonb_typeof(%s), ''null'') = ''null''', v_value) END,
                    CASE WHEN v_field.required THEN format('RETURN format(''payload.%%s: missing'', %L);', v_field.field)
                         ELSE 'NULL;  -- optional' END,
                    CASE WHEN v_quick IS NULL THEN 'ELSE' ELSE format('ELSIF (%s) IS NOT TRUE THEN', v_quick) END,
                    v_field.kind, v_value, coalesce(v_field.max_chars::text, 'NULL'), v_field.field);
            END LOOP;
            SELECT coalesce(string_agg(quote_literal(f.field), ', ' ORDER BY f.field COLLATE "C"), '') INTO v_known
            FROM ledger.event_schema_fields f WHERE f.event_type = v_type AND f.schema_version = v_schema.schema_version;
            v_branches := v_branches || format(
                E'        WHEN %s THEN\n'
                || E'            IF left(p_stream, %s) <> %L THEN\n'
                || E'                RETURN format(''%%s belongs on a %%s… stream, not on %%s'', p_type, %L, p_stream);\n'
                || E'            END IF;\n'
                || E'            IF jsonb_typeof(p_payload) IS DISTINCT FROM ''object'' OR p_payload - ARRAY[%s]::text[] <> ''{}''::jsonb THEN\n'
                || E'                SELECT min(k) INTO v_unknown FROM jsonb_object_keys(p_payload) AS k WHERE k <> ALL (ARRAY[%s]::text[]);\n'
                || E'                IF v_unknown IS NOT NULL THEN\n'
                || E'                    RETURN format(''payload.%%s: unknown field of %%s v%%s'', v_unknown, p_type, p_version);\n'
                || E'                END IF;\n'
                || E'            END IF;\n'
                || '%s',
                v_schema.schema_version, length(v_schema.stream_prefix), v_schema.stream_prefix, v_schema.stream_prefix,
                v_known, v_known, v_fields);
        END LOOP;
        v_types := v_types || format(
            E'    WHEN %L THEN\n'
            || E'        CASE p_version\n'
            || '%s'
            || E'        ELSE\n'
            || E'            RETURN format(''schema_version %%s of %%s is unknown (this ledger reads %%s)'', p_version, p_type, %L);\n'
            || E'        END CASE;\n',
            v_type, v_branches, v_versions);
    END LOOP;

    EXECUTE format($function$
CREATE OR REPLACE FUNCTION ledger.payload_problem(p_type text, p_version int, p_stream text, p_payload jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, ledger, pg_temp
AS $generated$
-- Generated by ledger.compile_payload_problem() from ledger.event_schemas and
-- ledger.event_schema_fields (0021_compiled_checks.sql); answers as ledger.payload_problem_by_table.
DECLARE
    v_problem text;
    v_unknown text;
BEGIN
    CASE p_type
%s    ELSE
        IF p_stream ~ %L THEN
            RETURN format('%%s is not an event type of the domain, and %%s is a domain stream', p_type, p_stream);
        END IF;
    END CASE;
    RETURN NULL;
END
$generated$
$function$, CASE WHEN v_types = '' THEN E'    WHEN NULL THEN\n        NULL;  -- no event type has a schema\n' ELSE v_types END,
    c_domain_streams);
END
$compile$;
REVOKE ALL ON FUNCTION ledger.compile_payload_problem(), ledger.quick_value_check(text, text, int),
    ledger.quick_integer_check(text, text, text) FROM PUBLIC;

SELECT ledger.compile_payload_problem();
REVOKE ALL ON FUNCTION ledger.payload_problem(text, int, text, jsonb) FROM PUBLIC;
-- Anyone who may append may ask in advance whether a payload would be accepted (as in 0009).
GRANT EXECUTE ON FUNCTION ledger.payload_problem(text, int, text, jsonb)
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

---------------------------------------------------------------------------------------------
-- 2. The registered rules
---------------------------------------------------------------------------------------------
-- Writes ledger.apply_event_rules from ledger.event_rules: the rules of the event's type called
-- directly, in the order of their names, the first problem returned.
CREATE FUNCTION ledger.compile_event_rules() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $compile$
DECLARE
    v_types   text;
    v_missing text;
BEGIN
    -- A rule whose function was dropped is not left out silently: the rules are not compiled
    -- (and the change that asked for it fails) until its row is deleted too.
    SELECT string_agg(format('%s (%s)', r.rule::oid, r.event_type), ', ' ORDER BY r.event_type COLLATE "C", r.rule::oid)
    INTO v_missing
    FROM ledger.event_rules r
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.oid = r.rule);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'ledger.event_rules names functions that do not exist (oid and event type): %', v_missing
            USING HINT = 'Delete their rows from ledger.event_rules, or create the functions again.';
    END IF;
    SELECT string_agg(t.branch, '' ORDER BY t.event_type COLLATE "C") INTO v_types
    FROM (
        SELECT r.event_type,
               format(E'    WHEN %L THEN\n', r.event_type)
               || string_agg(format(E'        v_problem := %I.%I(e, p_batch);\n'
                                    || E'        IF v_problem IS NOT NULL THEN RETURN v_problem; END IF;\n',
                                    n.nspname, p.proname),
                             '' ORDER BY r.rule::text COLLATE "C") AS branch
        FROM ledger.event_rules r
        JOIN pg_catalog.pg_proc p ON p.oid = r.rule
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        GROUP BY r.event_type
    ) AS t;

    EXECUTE format($function$
CREATE OR REPLACE FUNCTION ledger.apply_event_rules(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $generated$
-- Generated by ledger.compile_event_rules() from ledger.event_rules (0021_compiled_checks.sql):
-- the registered rules of one event, in name order; the first problem, or NULL.
DECLARE
    v_problem text;
BEGIN
%s    RETURN NULL;
END
$generated$
$function$, CASE WHEN v_types IS NULL THEN ''
                 ELSE E'    CASE e.event_type\n' || v_types || E'    ELSE\n        NULL;\n    END CASE;\n' END);
END
$compile$;
REVOKE ALL ON FUNCTION ledger.compile_event_rules() FROM PUBLIC;

SELECT ledger.compile_event_rules();

---------------------------------------------------------------------------------------------
-- 3. Compiled again whenever a table changes
---------------------------------------------------------------------------------------------
CREATE FUNCTION ledger.recompile_checks() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'event_rules' THEN
        PERFORM ledger.compile_event_rules();
    ELSE
        PERFORM ledger.compile_payload_problem();
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.recompile_checks() FROM PUBLIC;

CREATE TRIGGER event_rules_recompile AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ledger.event_rules
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.recompile_checks();
CREATE TRIGGER event_schemas_recompile AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ledger.event_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.recompile_checks();
CREATE TRIGGER event_schema_fields_recompile AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ledger.event_schema_fields
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.recompile_checks();
