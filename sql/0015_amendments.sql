-- 0015_amendments.sql — corrections as events: beneficiaries amended, categories as data, and
-- people's login roles disabled, enabled and moved to another group.
--
-- 1. BeneficiaryAmended v1 (stream beneficiary-ID, appended by officers): a correction of a
--    registered beneficiary with its reason; each field present changes something. Its rules
--    (ledger.beneficiary_amended_rule, registered in ledger.event_rules, 0013): the beneficiary
--    exists, payload.beneficiary_id is the stream's, at least one change and every field a change,
--    not bank_account with clear_bank_account, categories known, and a new national id held by no
--    other beneficiary — the amended beneficiary's fingerprint moves in ledger.national_ids (the
--    old one is freed, the new one taken; LD002 as for a registration). A bank payment goes to the
--    account the beneficiary has on record then (ledger.payment_bank_account_rule): an amendment
--    changes where later payments may go.
-- 2. CategoryDefined v1 (stream category-NAME, appended by admins when a catalog is loaded). The
--    categories the ledger knows (ledger.known_categories) are the declared ones and every category
--    a programme lists as eligible; registering or amending with another is refused (LR001), naming
--    the known ones. A ledger that knows none (no catalog yet) accepts any, as before.
-- 3. ledger.disable_user / enable_user / change_user_role (admins; SECURITY DEFINER like 0011's),
--    recorded as UserDisabled / UserEnabled / UserRoleRevoked + UserRoleGranted on user-NAME.
--
-- The same rules are in the Swift decisions (BeneficiaryDecisions.amend) and in `ledger audit
-- verify` (InvariantAudit: lifecycle, unknownCategory, duplicateNationalID).

SET LOCAL ROLE ledger_owner;

---------------------------------------------------------------------------------------------
-- 1. Schemas and grants
---------------------------------------------------------------------------------------------
ALTER TABLE ledger.event_schemas DROP CONSTRAINT event_schemas_stream_prefix_check;
ALTER TABLE ledger.event_schemas ADD CONSTRAINT event_schemas_stream_prefix_check
    CHECK (stream_prefix IN ('program-', 'budget-', 'beneficiary-', 'application-', 'loan-', 'category-'));

INSERT INTO ledger.event_schemas (event_type, schema_version, stream_prefix) VALUES
    ('BeneficiaryAmended', 1, 'beneficiary-'),
    ('CategoryDefined', 1, 'category-');

INSERT INTO ledger.event_schema_fields (event_type, schema_version, field, kind, required, max_chars) VALUES
    ('BeneficiaryAmended', 1, 'beneficiary_id', 'id', true, NULL),
    ('BeneficiaryAmended', 1, 'reason', 'text', true, 500),
    ('BeneficiaryAmended', 1, 'amended_on', 'date', true, NULL),
    ('BeneficiaryAmended', 1, 'name', 'text', false, 200),
    ('BeneficiaryAmended', 1, 'add_categories', 'categories', false, NULL),
    ('BeneficiaryAmended', 1, 'remove_categories', 'categories', false, NULL),
    ('BeneficiaryAmended', 1, 'bank_account', 'bank_account', false, 34),
    ('BeneficiaryAmended', 1, 'clear_bank_account', 'boolean', false, NULL),
    ('BeneficiaryAmended', 1, 'unit', 'district', false, NULL),
    ('BeneficiaryAmended', 1, 'national_id_fingerprint', 'fingerprint', false, NULL),
    ('CategoryDefined', 1, 'name', 'text', true, 64),
    ('CategoryDefined', 1, 'label_vi', 'text', true, 300),
    ('CategoryDefined', 1, 'label_en', 'text', true, 300);

INSERT INTO ledger.append_grants (role_name, event_type) VALUES
    ('ledger_officer', 'BeneficiaryAmended'),
    ('ledger_admin', 'CategoryDefined'),
    ('ledger_admin', 'UserDisabled'),
    ('ledger_admin', 'UserEnabled');

---------------------------------------------------------------------------------------------
-- 2. State the rules read, kept by the append (rebuildable from the log)
---------------------------------------------------------------------------------------------

-- The categories the ledger knows: declared (CategoryDefined) or eligible under a programme.
CREATE TABLE ledger.known_categories (
    name     text   PRIMARY KEY,
    position bigint NOT NULL
);

-- A beneficiary's details as amended (what an amendment must change).
CREATE TABLE ledger.beneficiary_details (
    beneficiary_id text   PRIMARY KEY,
    name           text   NOT NULL,
    unit           text   NOT NULL,
    categories     text[] NOT NULL,
    bank_account   text,
    fingerprint    text,
    position       bigint NOT NULL
);

-- The fingerprints an amendment frees in this transaction (only the rule below writes here).
CREATE TABLE ledger.national_id_releases (
    txid        xid8 NOT NULL,
    fingerprint text NOT NULL
);

REVOKE ALL ON ledger.known_categories, ledger.beneficiary_details, ledger.national_id_releases FROM PUBLIC;
GRANT SELECT ON ledger.known_categories, ledger.beneficiary_details
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver, ledger_admin;

-- A national id is registered once, and moves only with an amendment of its holder (which
-- marks the fingerprint it frees in ledger.national_id_releases, in the same transaction).
CREATE FUNCTION ledger.national_ids_refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM ledger.national_id_releases r
                                    WHERE r.txid = pg_current_xact_id() AND r.fingerprint = OLD.fingerprint) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'LT001', MESSAGE = format(
        'ledger.national_ids a national id is registered once: %s refused (it moves only with a BeneficiaryAmended)', TG_OP);
END
$$;
REVOKE ALL ON FUNCTION ledger.national_ids_refuse_change() FROM PUBLIC;
DROP TRIGGER IF EXISTS national_ids_refuse_update_delete ON ledger.national_ids;
CREATE TRIGGER national_ids_refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.national_ids
    FOR EACH ROW EXECUTE FUNCTION ledger.national_ids_refuse_change();

---------------------------------------------------------------------------------------------
-- 3. Rules (run by the append's trigger after the built-in branch, 0013)
---------------------------------------------------------------------------------------------

-- The first of p_categories the ledger does not know, with the known ones; NULL when all are
-- known or the ledger knows none.
CREATE FUNCTION ledger.unknown_category_problem(p_categories jsonb, p_field text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_unknown text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.known_categories) OR jsonb_typeof(p_categories) IS DISTINCT FROM 'array' THEN
        RETURN NULL;
    END IF;
    SELECT c INTO v_unknown
    FROM jsonb_array_elements_text(p_categories) WITH ORDINALITY AS x(c, n)
    WHERE NOT EXISTS (SELECT 1 FROM ledger.known_categories k WHERE k.name = x.c)
    ORDER BY x.n LIMIT 1;
    IF v_unknown IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN format('%s: category %s is not one the ledger knows (known: %s)', p_field, to_jsonb(v_unknown),
                  (SELECT string_agg(k.name, ', ' ORDER BY k.name) FROM ledger.known_categories k));
END
$$;
REVOKE ALL ON FUNCTION ledger.unknown_category_problem(jsonb, text) FROM PUBLIC;

-- BeneficiaryRegistered: categories known; its details recorded for later amendments.
CREATE FUNCTION ledger.beneficiary_registered_rule(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    p constant jsonb := e.payload;
    v_problem text;
BEGIN
    v_problem := ledger.unknown_category_problem(p -> 'categories', 'categories');
    IF v_problem IS NOT NULL THEN
        RETURN v_problem;
    END IF;
    INSERT INTO ledger.beneficiary_details VALUES (
        p ->> 'beneficiary_id', p ->> 'name', p ->> 'district',
        ARRAY(SELECT jsonb_array_elements_text(p -> 'categories') ORDER BY 1),
        p ->> 'bank_account', lower(p ->> 'national_id_fingerprint'), e.position);
    RETURN NULL;
END
$$;

-- ProgramDefined / ProgramAmended: its eligible categories become known.
CREATE FUNCTION ledger.program_categories_rule(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    INSERT INTO ledger.known_categories (name, position)
    SELECT c, e.position FROM jsonb_array_elements_text(e.payload -> 'eligible_categories') AS c
    ON CONFLICT (name) DO NOTHING;
    RETURN NULL;
END
$$;

-- CategoryDefined: its name is the stream's, in canonical form (lowercase words joined by -).
CREATE FUNCTION ledger.category_defined_rule(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_name constant text := e.payload ->> 'name';
BEGIN
    IF e.stream_id <> 'category-' || v_name THEN
        RETURN format('payload.name %s does not match the stream', e.payload -> 'name');
    ELSIF v_name !~ '^[a-z0-9]+(-[a-z0-9]+)*$' THEN
        RETURN format('payload.name %s is not a category''s canonical form (lowercase letters and digits, words joined by -)',
                      e.payload -> 'name');
    END IF;
    INSERT INTO ledger.known_categories (name, position) VALUES (v_name, e.position) ON CONFLICT (name) DO NOTHING;
    RETURN NULL;
END
$$;

-- BeneficiaryAmended: see the header. Moves the national id and records the new details.
CREATE FUNCTION ledger.beneficiary_amended_rule(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    p           constant jsonb := e.payload;
    v_suffix    constant text := substr(e.stream_id, length('beneficiary-') + 1);
    v_details   ledger.beneficiary_details;
    v_added     text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(p -> 'add_categories', '[]')));
    v_removed   text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(p -> 'remove_categories', '[]')));
    v_new_fp    text := lower(p ->> 'national_id_fingerprint');
    v_holder    text;
    v_problem   text;
    v_category  text;
    v_count     int;
BEGIN
    IF p ->> 'beneficiary_id' <> v_suffix THEN
        RETURN format('payload.beneficiary_id %s does not match the stream', p -> 'beneficiary_id');
    END IF;
    SELECT * INTO v_details FROM ledger.beneficiary_details d WHERE d.beneficiary_id = v_suffix;
    IF NOT FOUND THEN
        RETURN format('there is no beneficiary %s to amend', v_suffix);
    END IF;
    IF NOT (p ?| ARRAY['name', 'add_categories', 'remove_categories', 'bank_account', 'clear_bank_account', 'unit',
                       'national_id_fingerprint']) THEN
        RETURN 'an amendment changes at least one of name, add_categories, remove_categories, bank_account, '
            || 'clear_bank_account, unit, national_id_fingerprint';
    END IF;
    IF p ? 'name' AND p ->> 'name' = v_details.name THEN
        RETURN format('payload.name: the beneficiary''s name is already %s', p -> 'name');
    END IF;
    IF p ? 'unit' AND p ->> 'unit' = v_details.unit THEN
        RETURN format('payload.unit: the beneficiary already lives in %s', p -> 'unit');
    END IF;
    IF p ? 'add_categories' THEN
        IF cardinality(v_added) = 0 THEN
            RETURN 'payload.add_categories: empty';
        END IF;
        SELECT c INTO v_category FROM unnest(v_added) AS c WHERE c = ANY (v_details.categories) LIMIT 1;
        IF v_category IS NOT NULL THEN
            RETURN format('payload.add_categories: the beneficiary already has category %s', to_jsonb(v_category));
        END IF;
        v_problem := ledger.unknown_category_problem(p -> 'add_categories', 'payload.add_categories');
        IF v_problem IS NOT NULL THEN
            RETURN v_problem;
        END IF;
    END IF;
    IF p ? 'remove_categories' THEN
        IF cardinality(v_removed) = 0 THEN
            RETURN 'payload.remove_categories: empty';
        END IF;
        SELECT c INTO v_category FROM unnest(v_removed) AS c WHERE NOT (c = ANY (v_details.categories)) LIMIT 1;
        IF v_category IS NOT NULL THEN
            RETURN format('payload.remove_categories: the beneficiary does not have category %s', to_jsonb(v_category));
        END IF;
        SELECT c INTO v_category FROM unnest(v_removed) AS c WHERE c = ANY (v_added) LIMIT 1;
        IF v_category IS NOT NULL THEN
            RETURN format('payload.remove_categories: category %s is also added', to_jsonb(v_category));
        END IF;
    END IF;
    IF p ? 'bank_account' AND p ? 'clear_bank_account' THEN
        RETURN 'payload.clear_bank_account: not with bank_account (one replaces the account, the other removes it)';
    END IF;
    IF p ? 'bank_account' AND p ->> 'bank_account' = v_details.bank_account THEN
        RETURN format('payload.bank_account: the beneficiary''s bank account is already %s', p -> 'bank_account');
    END IF;
    IF p ? 'clear_bank_account' THEN
        IF NOT (p -> 'clear_bank_account')::boolean THEN
            RETURN 'payload.clear_bank_account: only ever true (leave it out to keep the account)';
        ELSIF v_details.bank_account IS NULL THEN
            RETURN 'payload.clear_bank_account: the beneficiary has no bank account';
        END IF;
    END IF;
    IF v_new_fp IS NOT NULL THEN
        IF v_new_fp = v_details.fingerprint THEN
            RETURN 'payload.national_id_fingerprint: already the beneficiary''s national id';
        END IF;
        SELECT n.beneficiary_stream INTO v_holder FROM ledger.national_ids n WHERE n.fingerprint = v_new_fp;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'LD002',
                MESSAGE = format('a beneficiary with this national id is already registered (%s)', v_holder);
        END IF;
        IF v_details.fingerprint IS NOT NULL THEN
            INSERT INTO ledger.national_id_releases VALUES (pg_current_xact_id(), v_details.fingerprint);
            DELETE FROM ledger.national_ids n WHERE n.fingerprint = v_details.fingerprint AND n.beneficiary_stream = e.stream_id;
            DELETE FROM ledger.national_id_releases r
            WHERE r.txid = pg_current_xact_id() AND r.fingerprint = v_details.fingerprint;
        END IF;
        INSERT INTO ledger.national_ids VALUES (v_new_fp, e.stream_id, e.position);
    END IF;
    UPDATE ledger.beneficiary_details d SET
        name = coalesce(p ->> 'name', d.name),
        unit = coalesce(p ->> 'unit', d.unit),
        categories = ARRAY(SELECT DISTINCT c FROM unnest(d.categories || v_added) AS c WHERE NOT (c = ANY (v_removed)) ORDER BY 1),
        bank_account = CASE WHEN p ? 'clear_bank_account' THEN NULL ELSE coalesce(p ->> 'bank_account', d.bank_account) END,
        fingerprint = coalesce(v_new_fp, d.fingerprint),
        position = e.position
    WHERE d.beneficiary_id = v_suffix
    RETURNING cardinality(d.categories) INTO v_count;
    -- As many categories as a registration may list (DomainLimits.maximumCategories), however many
    -- amendments added them.
    IF v_count > 20 THEN
        RETURN format('payload.add_categories: beneficiary %s would have %s categories; at most 20', v_suffix, v_count);
    END IF;
    RETURN NULL;
END
$$;

-- PaymentRecorded by bank: to the bank account the beneficiary has on record when it is recorded
-- (registered, or amended since), so an amendment changes where later payments may go.
CREATE FUNCTION ledger.payment_bank_account_rule(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_beneficiary text;
    v_account     text;
BEGIN
    IF e.payload ->> 'method' IS DISTINCT FROM 'bank' THEN
        RETURN NULL;
    END IF;
    SELECT f.beneficiary_id INTO v_beneficiary
    FROM ledger.application_facts f WHERE f.application_id = substr(e.stream_id, length('application-') + 1);
    SELECT d.bank_account INTO v_account FROM ledger.beneficiary_details d WHERE d.beneficiary_id = v_beneficiary;
    IF v_account IS NULL THEN
        RETURN format('payload.method: beneficiary %s has no bank account on record; pay in cash, or amend the beneficiary first',
                      v_beneficiary);
    ELSIF e.payload ->> 'bank_account' IS DISTINCT FROM v_account THEN
        RETURN format('payload.bank_account: %s is not the bank account beneficiary %s has on record',
                      coalesce(e.payload -> 'bank_account', 'null'::jsonb), v_beneficiary);
    END IF;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION ledger.beneficiary_registered_rule(ledger.events, ledger.events[]),
    ledger.program_categories_rule(ledger.events, ledger.events[]),
    ledger.category_defined_rule(ledger.events, ledger.events[]),
    ledger.beneficiary_amended_rule(ledger.events, ledger.events[]),
    ledger.payment_bank_account_rule(ledger.events, ledger.events[]) FROM PUBLIC;

INSERT INTO ledger.event_rules (event_type, rule) VALUES
    ('BeneficiaryRegistered', 'ledger.beneficiary_registered_rule(ledger.events, ledger.events[])'),
    ('ProgramDefined', 'ledger.program_categories_rule(ledger.events, ledger.events[])'),
    ('ProgramAmended', 'ledger.program_categories_rule(ledger.events, ledger.events[])'),
    ('CategoryDefined', 'ledger.category_defined_rule(ledger.events, ledger.events[])'),
    ('BeneficiaryAmended', 'ledger.beneficiary_amended_rule(ledger.events, ledger.events[])'),
    ('PaymentRecorded', 'ledger.payment_bank_account_rule(ledger.events, ledger.events[])');

-- Existing ledgers: no append may commit between the fill below and the rules above taking over.
LOCK TABLE ledger.events IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO ledger.known_categories (name, position)
SELECT c, min(e.position)
FROM ledger.events e
JOIN ledger.program_definitions d ON d.position = e.position
CROSS JOIN LATERAL jsonb_array_elements_text(e.payload -> 'eligible_categories') AS c
WHERE e.event_type IN ('ProgramDefined', 'ProgramAmended')
GROUP BY c;

-- The registrations the rules accepted (0009 skipped the others: beneficiary_facts has those it took).
INSERT INTO ledger.beneficiary_details
SELECT f.beneficiary_id, e.payload ->> 'name', e.payload ->> 'district',
       ARRAY(SELECT jsonb_array_elements_text(e.payload -> 'categories') ORDER BY 1),
       e.payload ->> 'bank_account', lower(e.payload ->> 'national_id_fingerprint'), e.position
FROM ledger.beneficiary_facts f
JOIN ledger.events e ON e.position = f.position;

---------------------------------------------------------------------------------------------
-- 4. People: disable, enable, change role (admins; recorded on user-NAME)
---------------------------------------------------------------------------------------------

CREATE TRIGGER events_internal_types_0015
    AFTER INSERT ON ledger.events
    FOR EACH ROW WHEN (NEW.event_type IN ('UserDisabled', 'UserEnabled'))
    EXECUTE FUNCTION ledger.refuse_unmarked_internal_event();

-- Whether another person than p_name may log in as an admin (the last admin is never disabled
-- or moved out of ledger_admin: nobody could add users or load catalogs any more).
CREATE FUNCTION ledger.other_admin_exists(p_name text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN EXISTS (
    SELECT 1 FROM pg_catalog.pg_roles r
    WHERE r.rolname <> p_name AND r.rolcanlogin AND NOT r.rolsuper
      AND pg_catalog.pg_has_role(r.oid, 'ledger_admin', 'MEMBER')
      AND NOT pg_catalog.pg_has_role(r.oid, 'ledger_owner', 'MEMBER'));
REVOKE ALL ON FUNCTION ledger.other_admin_exists(text) FROM PUBLIC;

-- The login role of a person, whether or not it may log in now: a valid name, an existing role,
-- not a superuser, the deploy account or a service account (LB010/LB013, as 0011's check_person,
-- which is this and "may log in"), and a member of a people group (so that enabling can never
-- give a login to some other role that has none).
CREATE FUNCTION ledger.person_role(p_name text) RETURNS pg_catalog.pg_roles
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_role pg_catalog.pg_roles;
BEGIN
    IF p_name IS NULL OR p_name !~ '^[a-z_][a-z0-9_]{0,62}$' OR p_name LIKE 'pg\_%' OR p_name LIKE 'ledger\_%' THEN
        RAISE EXCEPTION USING ERRCODE = 'LB010', MESSAGE = format(
            'user name %s: use 1-63 lowercase letters, digits and _, starting with a letter or _, not pg_ or ledger_',
            coalesce(to_jsonb(p_name)::text, 'null'));
    END IF;
    SELECT * INTO v_role FROM pg_catalog.pg_roles r WHERE r.rolname = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'LB013', MESSAGE = format('user %s does not exist', p_name);
    END IF;
    IF v_role.rolsuper OR pg_catalog.pg_has_role(v_role.oid, 'ledger_owner', 'MEMBER')
       OR pg_catalog.pg_has_role(v_role.oid, 'ledger_writer', 'MEMBER')
       OR NOT (pg_catalog.pg_has_role(v_role.oid, 'ledger_officer', 'MEMBER')
               OR pg_catalog.pg_has_role(v_role.oid, 'ledger_approver', 'MEMBER')
               OR pg_catalog.pg_has_role(v_role.oid, 'ledger_auditor', 'MEMBER')
               OR pg_catalog.pg_has_role(v_role.oid, 'ledger_admin', 'MEMBER')) THEN
        RAISE EXCEPTION USING ERRCODE = 'LB013', MESSAGE = format(
            'user %s is not a person''s login role (it is a group, a superuser, the deploy account or a service account): '
            'change it with the database''s own tools', p_name);
    END IF;
    RETURN v_role;
END
$$;
REVOKE ALL ON FUNCTION ledger.person_role(text) FROM PUBLIC;

-- Stops a person logging in (NOLOGIN); their history stays. Not yourself, not the last admin.
CREATE FUNCTION ledger.disable_user(p_name text) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF NOT (ledger.person_role(p_name)).rolcanlogin THEN
        RAISE EXCEPTION USING ERRCODE = 'LB011', MESSAGE = format('user %s is already disabled', p_name);
    END IF;
    IF p_name = session_user THEN
        RAISE EXCEPTION USING ERRCODE = 'LB012', MESSAGE = format(
            'user %s: an admin may not disable themselves; ask another admin', p_name);
    END IF;
    IF pg_catalog.pg_has_role(p_name, 'ledger_admin', 'MEMBER') AND NOT ledger.other_admin_exists(p_name) THEN
        RAISE EXCEPTION USING ERRCODE = 'LB012', MESSAGE = format(
            'user %s is the last admin who can log in; add another admin first', p_name);
    END IF;
    EXECUTE format('ALTER ROLE %I NOLOGIN', p_name);
    PERFORM ledger.append_internal('user-' || p_name, 'UserDisabled', jsonb_build_object('user', p_name));
END
$$;

-- Lets a disabled person log in again (LOGIN).
CREATE FUNCTION ledger.enable_user(p_name text) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF (ledger.person_role(p_name)).rolcanlogin THEN
        RAISE EXCEPTION USING ERRCODE = 'LB011', MESSAGE = format('user %s is not disabled', p_name);
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN', p_name);
    PERFORM ledger.append_internal('user-' || p_name, 'UserEnabled', jsonb_build_object('user', p_name));
END
$$;

-- Puts a person in exactly one group: revokes the others and grants p_role's, each recorded
-- (UserRoleRevoked, UserRoleGranted), in this one transaction. Not your own; not the last admin.
CREATE FUNCTION ledger.change_user_role(p_name text, p_role text) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_group   text;
    v_other   text;
    v_changed boolean := false;
BEGIN
    PERFORM ledger.check_person(p_name);
    v_group := ledger.people_group(p_role);
    IF p_name = session_user THEN
        RAISE EXCEPTION USING ERRCODE = 'LB012', MESSAGE = format(
            'user %s: an admin may not change their own roles; ask another admin', p_name);
    END IF;
    IF v_group <> 'ledger_admin' AND pg_catalog.pg_has_role(p_name, 'ledger_admin', 'MEMBER')
       AND NOT ledger.other_admin_exists(p_name) THEN
        RAISE EXCEPTION USING ERRCODE = 'LB012', MESSAGE = format(
            'user %s is the last admin who can log in; add another admin first', p_name);
    END IF;
    FOREACH v_other IN ARRAY ARRAY['ledger_officer', 'ledger_approver', 'ledger_auditor', 'ledger_admin'] LOOP
        IF v_other <> v_group AND EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                                          WHERE m.roleid = v_other::regrole AND m.member = p_name::regrole) THEN
            EXECUTE format('REVOKE %I FROM %I', v_other, p_name);
            PERFORM ledger.append_internal('user-' || p_name, 'UserRoleRevoked', jsonb_build_object('user', p_name, 'group', v_other));
            v_changed := true;
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = v_group::regrole AND m.member = p_name::regrole) THEN
        EXECUTE format('GRANT %I TO %I', v_group, p_name);
        PERFORM ledger.apply_session_limits(p_name);
        PERFORM ledger.append_internal('user-' || p_name, 'UserRoleGranted', jsonb_build_object('user', p_name, 'group', v_group));
        v_changed := true;
    END IF;
    IF NOT v_changed THEN
        RAISE EXCEPTION USING ERRCODE = 'LB011', MESSAGE = format('user %s is already only in %s', p_name, v_group);
    END IF;
    RETURN v_group;
END
$$;

REVOKE ALL ON FUNCTION ledger.disable_user(text), ledger.enable_user(text), ledger.change_user_role(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.disable_user(text), ledger.enable_user(text), ledger.change_user_role(text, text)
    TO ledger_admin;
