-- 0016_places.sql — places are data, with validity dates (issue 8 §4).
--
-- Until 1 July 2025 Cần Thơ had nine districts; from then on wards (phường) and communes (xã)
-- sit directly under the city. Administrative units are therefore events, like the programme
-- catalog: UnitDefined on stream `unit-CODE` (code, name, kind district|ward|commune,
-- valid_from, optional valid_until, optional came_from: the codes of the units it was made
-- from), appended by an admin (`ledger place load FILE`). They are folded into ledger.units.
--
-- Existing events keep their field `district`; its value is now a unit's code (the nine old
-- district codes stay valid). The field kind 'district' checks only the code's form; whether
-- the code names a unit is a rule (below), because it depends on the units loaded:
--
--   * no unit loaded (an old ledger): a code is one of the nine districts, on any date — the
--     ledger behaves exactly as before;
--   * units loaded: a code must be a defined unit, and
--       - a budget (BudgetAllocated/BudgetAdjusted) is for a unit valid on some day of its fiscal year;
--       - a beneficiary registered (registered_on) or moved (BeneficiaryAmended.unit, amended_on)
--         lives in a unit valid on that date;
--       - an application (ApplicationSubmitted.district = the unit whose budget it draws on)
--         draws on the budget of the beneficiary's unit for its fiscal year; when that unit
--         did not exist in that year, on a unit it came from that did (or, for a beneficiary
--         still recorded in a unit that ended, a unit that came from it).
--
-- Each rule is a function registered in ledger.event_rules (0013); Swift's decisions refuse
-- first with friendlier messages (Sources/Ledger/Places), and `ledger audit verify` replays the
-- same rules (rule `places`).

SET LOCAL ROLE ledger_owner;

---------------------------------------------------------------------------------------------
-- 1. Schemas: the UnitDefined type, the new value kinds, BeneficiaryRegistered.registered_on
---------------------------------------------------------------------------------------------

-- The CHECKs of 0009 (as later files left them) gain the new stream prefix and value kinds:
-- the constraint's own list is extended, whatever other files added to it.
DO $checks$
DECLARE
    v_table      text;
    v_constraint text;
    v_definition text;
    v_addition   text;
BEGIN
    FOR v_table, v_addition IN VALUES
        ('event_schemas', '''unit-''::text, '),
        ('event_schema_fields', '''unit_kind''::text, ''units''::text, ')
    LOOP
        SELECT c.conname, pg_get_constraintdef(c.oid) INTO v_constraint, v_definition
        FROM pg_constraint c
        WHERE c.conrelid = format('ledger.%I', v_table)::regclass AND c.contype = 'c'
          AND pg_get_constraintdef(c.oid) LIKE CASE v_table WHEN 'event_schemas' THEN '%stream_prefix%' ELSE '%(kind %' END;
        IF v_constraint IS NULL OR strpos(v_definition, 'ARRAY[') = 0 THEN
            RAISE EXCEPTION 'ledger.% has no CHECK list as 0009_domain_rules.sql made it', v_table;
        END IF;
        EXECUTE format('ALTER TABLE ledger.%I DROP CONSTRAINT %I', v_table, v_constraint);
        EXECUTE format('ALTER TABLE ledger.%I ADD CONSTRAINT %I %s', v_table, v_constraint,
                       replace(v_definition, 'ARRAY[', 'ARRAY[' || v_addition));
    END LOOP;
END
$checks$;

INSERT INTO ledger.event_schemas (event_type, schema_version, stream_prefix) VALUES ('UnitDefined', 1, 'unit-');

INSERT INTO ledger.event_schema_fields (event_type, schema_version, field, kind, required, max_chars) VALUES
    ('UnitDefined', 1, 'code', 'district', true, NULL),
    ('UnitDefined', 1, 'name', 'text', true, 200),
    ('UnitDefined', 1, 'kind', 'unit_kind', true, NULL),
    ('UnitDefined', 1, 'valid_from', 'date', true, NULL),
    ('UnitDefined', 1, 'valid_until', 'date', false, NULL),
    ('UnitDefined', 1, 'came_from', 'units', false, NULL),
    ('UnitDefined', 1, 'illustrative', 'boolean', false, NULL),
    ('BeneficiaryRegistered', 1, 'registered_on', 'date', false, NULL);

INSERT INTO ledger.append_grants (role_name, event_type) VALUES ('ledger_admin', 'UnitDefined');

-- value_problem: 'district' now checks a unit code's form (lower-case ASCII words joined by
-- single hyphens, at most 64 characters; the nine old codes are of this form); whether it names
-- a unit is the rules' business below. New kinds: 'unit_kind' and 'units' (a list of codes).
-- Every other kind is left exactly as it was.
DO $value$
DECLARE
    c_old constant text := E'    WHEN ''district'' THEN\n'
        || E'        IF jsonb_typeof(p_value) <> ''string'' OR (p_value #>> ''{}'') NOT IN (\n'
        || E'            ''ninh-kieu'', ''binh-thuy'', ''cai-rang'', ''o-mon'', ''thot-not'', ''phong-dien'', ''co-do'', ''thoi-lai'', ''vinh-thanh'') THEN\n'
        || E'            RETURN format(''%s is not a district code'', p_value);\n'
        || E'        END IF;\n';
    c_new constant text := E'    WHEN ''district'' THEN\n'
        || E'        -- a unit code (0016_places.sql); which codes name units is a registered rule\n'
        || E'        IF jsonb_typeof(p_value) <> ''string'' OR length(p_value #>> ''{}'') > 64\n'
        || E'           OR (p_value #>> ''{}'') !~ ''^[a-z0-9]+(-[a-z0-9]+)*$'' THEN\n'
        || E'            RETURN format(''%s is not a unit code (lower-case letters and digits in words joined by -, at most 64)'', p_value);\n'
        || E'        END IF;\n'
        || E'    WHEN ''unit_kind'' THEN\n'
        || E'        IF jsonb_typeof(p_value) <> ''string'' OR (p_value #>> ''{}'') NOT IN (''district'', ''ward'', ''commune'') THEN\n'
        || E'            RETURN format(''%s is not district, ward or commune'', p_value);\n'
        || E'        END IF;\n'
        || E'    WHEN ''units'' THEN\n'
        || E'        IF jsonb_typeof(p_value) <> ''array'' OR jsonb_array_length(p_value) > 20 THEN\n'
        || E'            RETURN ''must be a list of at most 20 unit codes'';\n'
        || E'        END IF;\n'
        || E'        FOR v_element IN SELECT value FROM jsonb_array_elements(p_value) LOOP\n'
        || E'            v_problem := ledger.value_problem(''district'', v_element, NULL);\n'
        || E'            IF v_problem IS NOT NULL THEN RETURN format(''[%s] %s'', v_index, v_problem); END IF;\n'
        || E'            v_index := v_index + 1;\n'
        || E'        END LOOP;\n';
    v_definition text;
BEGIN
    v_definition := pg_get_functiondef('ledger.value_problem(text, jsonb, int)'::regprocedure);
    IF (length(v_definition) - length(replace(v_definition, c_old, ''))) / length(c_old) <> 1 THEN
        RAISE EXCEPTION 'ledger.value_problem does not check district codes as 0009_domain_rules.sql does';
    END IF;
    EXECUTE replace(v_definition, c_old, c_new);
END
$value$;

-- payload_problem: unit- is a domain stream (an unknown type is refused there).
DO $payload$
DECLARE
    c_old constant text := '''^(program|';
    c_new constant text := '''^(unit|program|';
    v_definition text;
BEGIN
    v_definition := pg_get_functiondef('ledger.payload_problem(text, int, text, jsonb)'::regprocedure);
    IF (length(v_definition) - length(replace(v_definition, c_old, ''))) / length(c_old) <> 1 THEN
        RAISE EXCEPTION 'ledger.payload_problem does not name the domain streams as 0009_domain_rules.sql does';
    END IF;
    EXECUTE replace(v_definition, c_old, c_new);
END
$payload$;

---------------------------------------------------------------------------------------------
-- 2. State tables
---------------------------------------------------------------------------------------------

-- Every unit defined (UnitDefined), as the rules and `ledger place list` read them.
CREATE TABLE ledger.units (
    code        text   PRIMARY KEY,
    name        text   NOT NULL,
    kind        text   NOT NULL CHECK (kind IN ('district', 'ward', 'commune')),
    valid_from  date   NOT NULL,
    valid_until date,
    came_from   text[] NOT NULL DEFAULT '{}',
    illustrative boolean NOT NULL DEFAULT false,
    position    bigint NOT NULL,
    CHECK (valid_until IS NULL OR valid_until >= valid_from)
);

-- The unit each beneficiary lives in now (registration, then amendments that move them).
CREATE TABLE ledger.beneficiary_units (
    beneficiary_id text PRIMARY KEY,
    unit           text NOT NULL
);

-- From the log as it is (a ledger upgraded with beneficiaries already registered).
INSERT INTO ledger.beneficiary_units (beneficiary_id, unit)
SELECT DISTINCT ON (e.payload ->> 'beneficiary_id') e.payload ->> 'beneficiary_id',
       coalesce(e.payload ->> 'unit', e.payload ->> 'district')
FROM ledger.events e
WHERE e.stream_id LIKE 'beneficiary-%'
  AND (e.event_type = 'BeneficiaryRegistered' OR (e.event_type = 'BeneficiaryAmended' AND e.payload ? 'unit'))
ORDER BY e.payload ->> 'beneficiary_id', e.position DESC;

REVOKE ALL ON ledger.units, ledger.beneficiary_units FROM PUBLIC;
GRANT SELECT ON ledger.units, ledger.beneficiary_units
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver, ledger_admin;

---------------------------------------------------------------------------------------------
-- 3. The rules
---------------------------------------------------------------------------------------------

-- Whether unit p_code is in force on some day of fiscal year p_year.
CREATE FUNCTION ledger.unit_valid_in_year(p_code text, p_year int) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN EXISTS (SELECT 1 FROM ledger.units u
               WHERE u.code = p_code AND u.valid_from <= make_date(p_year, 12, 31)
                 AND (u.valid_until IS NULL OR u.valid_until >= make_date(p_year, 1, 1)));

-- How a unit is named in messages: `Ninh Kiều (ninh-kieu, 2025-07-01…)`.
CREATE FUNCTION ledger.unit_label(p_code text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN coalesce(
    (SELECT format('%s %s (%s, %s…%s)', u.kind, u.name, u.code, u.valid_from, coalesce(u.valid_until::text, ''))
     FROM ledger.units u WHERE u.code = p_code),
    p_code);

-- Why p_code (in field p_field) names no unit, or NULL. With no unit loaded, the nine districts.
CREATE FUNCTION ledger.unit_code_problem(p_code text, p_field text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN CASE
    WHEN NOT EXISTS (SELECT 1 FROM ledger.units) THEN
        CASE WHEN p_code IN ('ninh-kieu', 'binh-thuy', 'cai-rang', 'o-mon', 'thot-not', 'phong-dien', 'co-do', 'thoi-lai', 'vinh-thanh')
             THEN NULL
             ELSE format('%s %s is not a district code (no places are loaded: the nine districts of Cần Thơ)', p_field, p_code)
        END
    WHEN NOT EXISTS (SELECT 1 FROM ledger.units u WHERE u.code = p_code) THEN
        format('%s %s is not a unit of the places loaded', p_field, p_code)
    ELSE NULL
END;

-- Why unit p_code is not in force on p_date, or NULL (also NULL when no unit is loaded).
CREATE FUNCTION ledger.unit_date_problem(p_code text, p_date date, p_what text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN (SELECT format('%s is not in force on %s (%s)', ledger.unit_label(u.code), p_date, p_what)
        FROM ledger.units u
        WHERE u.code = p_code AND (p_date < u.valid_from OR p_date > u.valid_until));

-- The units whose budget for fiscal year p_year a beneficiary living in p_unit draws on: the
-- unit itself when in force that year; else the units it came from in force that year; else
-- (a beneficiary still recorded in a unit that ended) the units made from it in force that year.
CREATE FUNCTION ledger.budget_units(p_unit text, p_year int) RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN CASE
    WHEN ledger.unit_valid_in_year(p_unit, p_year) THEN ARRAY[p_unit]
    ELSE coalesce(
        (SELECT array_agg(c ORDER BY c) FROM ledger.units u, unnest(u.came_from) AS c
         WHERE u.code = p_unit AND ledger.unit_valid_in_year(c, p_year)),
        (SELECT array_agg(s.code ORDER BY s.code) FROM ledger.units s
         WHERE p_unit = ANY (s.came_from) AND ledger.unit_valid_in_year(s.code, p_year)),
        '{}')
END;

-- UnitDefined: the code is the stream's; defined once; from ≤ until; came_from names other
-- units already defined.
CREATE FUNCTION ledger.rule_unit_defined(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    p         constant jsonb := e.payload;
    v_code    constant text := substr(e.stream_id, length('unit-') + 1);
    v_from    text[];
    v_unknown text;
BEGIN
    IF p ->> 'code' <> v_code THEN
        RETURN format('payload.code %s does not match the stream', p -> 'code');
    ELSIF e.stream_version <> 1 OR EXISTS (SELECT 1 FROM ledger.units u WHERE u.code = v_code) THEN
        RETURN format('unit %s is already defined; a unit is defined once', v_code);
    ELSIF (p ->> 'valid_until')::date < (p ->> 'valid_from')::date THEN
        RETURN 'valid_until is before valid_from';
    END IF;
    v_from := coalesce(ARRAY(SELECT jsonb_array_elements_text(p -> 'came_from')), '{}');
    IF v_code = ANY (v_from) THEN
        RETURN format('unit %s cannot come from itself', v_code);
    ELSIF cardinality(v_from) <> (SELECT count(DISTINCT c) FROM unnest(v_from) AS c) THEN
        RETURN 'came_from names a unit twice';
    END IF;
    SELECT min(c) INTO v_unknown FROM unnest(v_from) AS c WHERE NOT EXISTS (SELECT 1 FROM ledger.units u WHERE u.code = c);
    IF v_unknown IS NOT NULL THEN
        RETURN format('came_from: %s is not a unit defined before %s', v_unknown, v_code);
    END IF;
    INSERT INTO ledger.units VALUES (v_code, p ->> 'name', p ->> 'kind', (p ->> 'valid_from')::date,
                                     (p ->> 'valid_until')::date, v_from, coalesce((p ->> 'illustrative')::boolean, false),
                                     e.position);
    RETURN NULL;
END
$$;

-- BudgetAllocated, BudgetAdjusted: for a unit in force in the fiscal year.
CREATE FUNCTION ledger.rule_budget_unit(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_unit    constant text := e.payload ->> 'district';
    v_year    constant int := (e.payload ->> 'fiscal_year')::int;
    v_problem text;
BEGIN
    v_problem := ledger.unit_code_problem(v_unit, 'district');
    IF v_problem IS NULL AND EXISTS (SELECT 1 FROM ledger.units) AND NOT ledger.unit_valid_in_year(v_unit, v_year) THEN
        v_problem := format('a budget is for a unit in force in its fiscal year; %s is not in force in %s',
                            ledger.unit_label(v_unit), v_year);
    END IF;
    RETURN v_problem;
END
$$;

-- Where a beneficiary lives: BeneficiaryRegistered's district, in force on registered_on (when
-- given), or BeneficiaryAmended's unit (when it moves them), in force on amended_on.
CREATE FUNCTION ledger.rule_beneficiary_unit(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    c_registered constant boolean := e.event_type = 'BeneficiaryRegistered';
    c_field      constant text := CASE WHEN c_registered THEN 'district' ELSE 'unit' END;
    c_date_field constant text := CASE WHEN c_registered THEN 'registered_on' ELSE 'amended_on' END;
    v_unit       constant text := e.payload ->> c_field;
    v_problem    text;
BEGIN
    IF v_unit IS NULL THEN
        RETURN NULL;  -- an amendment that does not move them
    END IF;
    v_problem := coalesce(ledger.unit_code_problem(v_unit, c_field),
                          ledger.unit_date_problem(v_unit, (e.payload ->> c_date_field)::date, c_date_field));
    IF v_problem IS NULL THEN
        INSERT INTO ledger.beneficiary_units AS b VALUES (e.payload ->> 'beneficiary_id', v_unit)
        ON CONFLICT (beneficiary_id) DO UPDATE SET unit = EXCLUDED.unit;
    END IF;
    RETURN v_problem;
END
$$;

-- ApplicationSubmitted: its district is the unit whose budget it draws on — one of
-- ledger.budget_units(the beneficiary's unit, the fiscal year) once units are loaded.
CREATE FUNCTION ledger.rule_application_unit(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    p            constant jsonb := e.payload;
    v_unit       constant text := p ->> 'district';
    v_year       constant int := coalesce((p ->> 'fiscal_year')::int, extract(year FROM (p ->> 'submitted_on')::date)::int);
    v_home       text;
    v_candidates text[];
    v_problem    text;
BEGIN
    v_problem := ledger.unit_code_problem(v_unit, 'district');
    IF v_problem IS NOT NULL OR NOT EXISTS (SELECT 1 FROM ledger.units) THEN
        RETURN v_problem;
    END IF;
    SELECT b.unit INTO v_home FROM ledger.beneficiary_units b WHERE b.beneficiary_id = p ->> 'beneficiary_id';
    IF v_home IS NULL THEN
        RETURN NULL;  -- no beneficiary: the built-in branch refused already
    END IF;
    v_candidates := ledger.budget_units(v_home, v_year);
    IF NOT v_unit = ANY (v_candidates) THEN
        RETURN format('beneficiary %s lives in %s; in fiscal year %s an application draws on the budget of %s, not of %s',
                      p ->> 'beneficiary_id', ledger.unit_label(v_home), v_year,
                      CASE WHEN cardinality(v_candidates) = 0 THEN 'no unit (none of its units was in force then)'
                           ELSE (SELECT string_agg(ledger.unit_label(c), ' or ' ORDER BY c) FROM unnest(v_candidates) AS c) END,
                      ledger.unit_label(v_unit));
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION ledger.unit_valid_in_year(text, int), ledger.unit_label(text), ledger.unit_code_problem(text, text),
    ledger.unit_date_problem(text, date, text), ledger.budget_units(text, int),
    ledger.rule_unit_defined(ledger.events, ledger.events[]), ledger.rule_budget_unit(ledger.events, ledger.events[]),
    ledger.rule_beneficiary_unit(ledger.events, ledger.events[]),
    ledger.rule_application_unit(ledger.events, ledger.events[]) FROM PUBLIC;

INSERT INTO ledger.event_rules (event_type, rule) VALUES
    ('UnitDefined', 'ledger.rule_unit_defined(ledger.events, ledger.events[])'),
    ('BudgetAllocated', 'ledger.rule_budget_unit(ledger.events, ledger.events[])'),
    ('BudgetAdjusted', 'ledger.rule_budget_unit(ledger.events, ledger.events[])'),
    ('BeneficiaryRegistered', 'ledger.rule_beneficiary_unit(ledger.events, ledger.events[])'),
    ('ApplicationSubmitted', 'ledger.rule_application_unit(ledger.events, ledger.events[])');

-- BeneficiaryAmended is 0015's type (helper A); its unit moves the beneficiary.
INSERT INTO ledger.event_rules (event_type, rule)
SELECT 'BeneficiaryAmended', 'ledger.rule_beneficiary_unit(ledger.events, ledger.events[])'
WHERE EXISTS (SELECT 1 FROM ledger.event_schemas s WHERE s.event_type = 'BeneficiaryAmended');
