-- 0011_ownership.sql — the schema is owned by a role no person logs in as; admins manage
-- programmes, budgets and users without being owners; user changes and DDL are recorded in the log.
--
-- FROM THIS FILE ON, MIGRATIONS `SET LOCAL ROLE ledger_owner` (not ledger_admin) so that what
-- they create is owned by ledger_owner. Files 0001..0010 created objects as ledger_admin; this
-- file hands every one of them in ledger and ledger_meta (whatever those files created, found in
-- the catalogs, not listed by name) to ledger_owner. ledger_read and ledger_read_build stay
-- ledger_admin's: projection runners are admins, and the read models are derived data that
-- `ledger audit reconcile` compares with the log.
--
-- Roles after this file (README "Roles", docs/operations.md "Roles and the deploy account"):
--   ledger_owner   NOLOGIN, CREATEROLE. Owns ledger and ledger_meta, and the SECURITY DEFINER
--                  functions that add users, grant and revoke groups and reset passwords. Nobody
--                  logs in as it; a superuser or the deploy account (a LOGIN role that is a
--                  member of ledger_owner, e.g. ledger_deploy) runs migrations.
--   ledger_admin   NOLOGIN, no longer CREATEROLE, no longer an owner. Appends ProgramDefined,
--                  BudgetAllocated... through ledger.append as before; manages users only through
--                  ledger.add_user / grant_user_role / revoke_user_role / reset_user_password;
--                  owns the read models (ledger_read) and runs projections.
--
-- This file must run as a superuser: only a superuser may create an event trigger. Later files
-- may run as the deploy account.
--
-- Recorded in the log (ledger.append, in the same transaction, actor = session_user):
--   stream user-NAME: UserAdded, UserRoleGranted, UserRoleRevoked, UserPasswordReset (never the
--                     password itself), appended only by the user functions below;
--   stream schema:    SchemaChanged, appended by the event trigger for every DDL statement on
--                     ledger or ledger_meta that is not part of a running migration.
-- Nobody can append these types with a direct ledger.append: a trigger refuses them unless the
-- path that records them (which only ledger_owner may take) has marked the append (LP002).
--
-- People's login roles get session limits (ledger.session_limits(): lock_timeout 10s,
-- idle_in_transaction_session_timeout 60s). Role settings are per login role, not inherited from
-- group roles: add_user and grant_user_role set them, and this file sets them for every
-- existing member of ledger_officer, ledger_approver, ledger_auditor and ledger_admin.

---------------------------------------------------------------------------------------------
-- 0. Who runs this
---------------------------------------------------------------------------------------------
DO $superuser$
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format(
            '0011_ownership.sql creates an event trigger, which only a superuser may: run `ledger migrate` '
            'once as a superuser (role %s is not one); later migrations may run as the deploy account',
            current_user);
    END IF;
END
$superuser$;

---------------------------------------------------------------------------------------------
-- 1. ledger_owner; ledger_admin loses CREATEROLE
---------------------------------------------------------------------------------------------
DO $owner$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ledger_owner') THEN
        BEGIN
            CREATE ROLE ledger_owner NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it at the same moment
        END;
    END IF;
END
$owner$;
-- CREATEROLE for the user functions it owns; NOLOGIN whatever someone did to it before.
ALTER ROLE ledger_owner NOLOGIN CREATEROLE NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS;
-- An admin could SET ROLE ledger_admin and create, grant or alter any role (0005 gave it).
ALTER ROLE ledger_admin NOCREATEROLE;

-- Admins create no schemas any more (0001 let them). No ledger role keeps a database privilege:
-- those are not copied by CREATE DATABASE ... TEMPLATE, so `audit schema` expects none. A later
-- migration that needs a new schema creates it as the superuser (or deploy account) running it,
-- with AUTHORIZATION ledger_owner.
DO $database$
BEGIN
    EXECUTE format('REVOKE CREATE ON DATABASE %I FROM ledger_admin', current_database());
END
$database$;

---------------------------------------------------------------------------------------------
-- 2. Hand ledger and ledger_meta to ledger_owner (generic: whatever earlier files created)
---------------------------------------------------------------------------------------------
DO $reassign$
DECLARE
    v_object record;
BEGIN
    ALTER SCHEMA ledger OWNER TO ledger_owner;
    ALTER SCHEMA ledger_meta OWNER TO ledger_owner;
    -- Tables, views, sequences (not those owned by a column: they follow their table).
    FOR v_object IN
        SELECT c.oid::regclass AS name, c.relkind
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('ledger', 'ledger_meta')
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                          WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                            AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i'))
        ORDER BY c.oid
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO ledger_owner',
                       CASE v_object.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                             WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                                             ELSE 'TABLE' END,
                       v_object.name);
    END LOOP;
    -- Functions and procedures (and aggregates, should a later file add one).
    FOR v_object IN
        SELECT p.oid::regprocedure AS name, p.prokind
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('ledger', 'ledger_meta')
        ORDER BY p.oid
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO ledger_owner',
                       CASE v_object.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END, v_object.name);
    END LOOP;
    -- Domains, enums, ranges and standalone composite types (row types follow their tables).
    FOR v_object IN
        SELECT t.oid::regtype AS name
        FROM pg_catalog.pg_type t
        JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
        WHERE n.nspname IN ('ledger', 'ledger_meta')
          AND (t.typtype IN ('d', 'e', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))
        ORDER BY t.oid
    LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO ledger_owner', v_object.name);
    END LOOP;
END
$reassign$;

-- What admins keep without ownership. ALTER ... OWNER rewrote the old owner's ACL entries, so
-- ledger_admin's own grants of 0005 (EXECUTE on ledger.append and ledger.add_user) went with the
-- ownership: grant them again. Besides: reading and executing what any other people group may
-- (the runner reads the log; `migrate --list` reads the history, 0007). Generic, like the
-- reassignment: every table and function of ledger that ledger_auditor, ledger_officer or
-- ledger_approver may read or execute. Which event types admins may append stays append_grants'.
GRANT USAGE ON SCHEMA ledger TO ledger_admin;
GRANT EXECUTE ON FUNCTION ledger.append(text, jsonb), ledger.add_user(text, text, text) TO ledger_admin;
DO $admin_reads$
DECLARE
    v_object record;
BEGIN
    FOR v_object IN
        SELECT c.oid::regclass AS name
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'ledger' AND c.relkind IN ('r', 'p', 'v', 'm')
          AND (pg_catalog.has_table_privilege('ledger_auditor', c.oid, 'SELECT')
               OR pg_catalog.has_table_privilege('ledger_officer', c.oid, 'SELECT')
               OR pg_catalog.has_table_privilege('ledger_approver', c.oid, 'SELECT'))
        ORDER BY c.oid
    LOOP
        EXECUTE format('GRANT SELECT ON %s TO ledger_admin', v_object.name);
    END LOOP;
    FOR v_object IN
        SELECT p.oid::regprocedure AS name
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'ledger' AND p.prokind = 'f'
          AND (pg_catalog.has_function_privilege('ledger_auditor', p.oid, 'EXECUTE')
               OR pg_catalog.has_function_privilege('ledger_officer', p.oid, 'EXECUTE')
               OR pg_catalog.has_function_privilege('ledger_approver', p.oid, 'EXECUTE'))
        ORDER BY p.oid
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO ledger_admin', v_object.name);
    END LOOP;
END
$admin_reads$;

---------------------------------------------------------------------------------------------
-- 3. From here on, as ledger_owner
---------------------------------------------------------------------------------------------
SET LOCAL ROLE ledger_owner;

-- Session limits of people's login roles (docs/operations.md, "Timeouts"): a transaction left
-- open by a person ends after idle_in_transaction_session_timeout; any statement of theirs waits
-- at most lock_timeout for a lock (an append waits less: ledger.append sets its own).
CREATE FUNCTION ledger.session_limits() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{"idle_in_transaction_session_timeout": "60s", "lock_timeout": "10s"}'::jsonb;
REVOKE ALL ON FUNCTION ledger.session_limits() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.session_limits()
    TO ledger_admin, ledger_auditor, ledger_officer, ledger_approver, ledger_writer;

-- Appends of the types below are marked here, by the only path allowed to append them, for the
-- duration of that one ledger.append call. Nobody but ledger_owner may write this table.
CREATE TABLE ledger.internal_appends (
    txid       xid8 NOT NULL,
    event_type text NOT NULL,
    stream_id  text NOT NULL
);
REVOKE ALL ON ledger.internal_appends FROM PUBLIC;

-- ledger.append checks append_grants against session_user: the admin for user changes, whoever
-- ran the DDL for SchemaChanged. The grant alone is not enough (events_internal_types below).
INSERT INTO ledger.append_grants (role_name, event_type) VALUES
    ('ledger_admin', 'UserAdded'),
    ('ledger_admin', 'UserRoleGranted'),
    ('ledger_admin', 'UserRoleRevoked'),
    ('ledger_admin', 'UserPasswordReset'),
    ('ledger_admin', 'SchemaChanged'),
    ('ledger_owner', 'SchemaChanged');

-- Refuses an internal type appended without the mark of its path (LP002), whoever appends it:
-- an admin calling ledger.append directly, a service account with the '*' grant, anyone.
CREATE FUNCTION ledger.refuse_unmarked_internal_event() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.internal_appends m
                   WHERE m.txid = pg_current_xact_id() AND m.event_type = NEW.event_type
                     AND m.stream_id = NEW.stream_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'LP002', MESSAGE = format(
            'permission refused: %s is recorded only by %s, not appended directly', NEW.event_type,
            CASE NEW.event_type WHEN 'SchemaChanged' THEN 'the DDL event trigger'
                                ELSE '`ledger user` (ledger.add_user, grant_user_role, revoke_user_role, reset_user_password)' END);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.refuse_unmarked_internal_event() FROM PUBLIC;
CREATE TRIGGER events_internal_types
    AFTER INSERT ON ledger.events
    FOR EACH ROW WHEN (NEW.event_type IN ('UserAdded', 'UserRoleGranted', 'UserRoleRevoked', 'UserPasswordReset', 'SchemaChanged'))
    EXECUTE FUNCTION ledger.refuse_unmarked_internal_event();

-- The one path that appends an internal type: mark, append (actor = session_user), unmark.
-- Executable by ledger_owner only (the definer functions below run as it).
CREATE FUNCTION ledger.append_internal(p_stream text, p_type text, p_payload jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_result jsonb;
BEGIN
    INSERT INTO ledger.internal_appends (txid, event_type, stream_id) VALUES (pg_current_xact_id(), p_type, p_stream);
    v_result := ledger.append(
        lower(p_type) || ':' || gen_random_uuid()::text,
        jsonb_build_array(jsonb_build_object(
            'stream_id', p_stream, 'expected_version', 'any',
            'events', jsonb_build_array(jsonb_build_object('type', p_type, 'schema_version', 1, 'payload', p_payload)))));
    DELETE FROM ledger.internal_appends WHERE txid = pg_current_xact_id() AND event_type = p_type AND stream_id = p_stream;
    RETURN v_result;
END
$$;
REVOKE ALL ON FUNCTION ledger.append_internal(text, text, jsonb) FROM PUBLIC;

---------------------------------------------------------------------------------------------
-- 4. Users: add, grant, revoke, reset a password — each recorded in the log
---------------------------------------------------------------------------------------------

-- Applies ledger.session_limits() to one login role. Owner only (called by the functions below).
CREATE FUNCTION ledger.apply_session_limits(p_name text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_setting record;
BEGIN
    FOR v_setting IN SELECT key, value FROM jsonb_each_text(ledger.session_limits()) ORDER BY key LOOP
        EXECUTE format('ALTER ROLE %I SET %I = %L', p_name, v_setting.key, v_setting.value);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION ledger.apply_session_limits(text) FROM PUBLIC;

-- The person's login role a user function may change: exists, logs in, is not a superuser, the
-- owner's deploy account or a service account. Returns nothing; raises LB010/LB013.
CREATE FUNCTION ledger.check_person(p_name text) RETURNS void
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
    IF NOT v_role.rolcanlogin OR v_role.rolsuper
       OR pg_catalog.pg_has_role(v_role.oid, 'ledger_owner', 'MEMBER')
       OR pg_catalog.pg_has_role(v_role.oid, 'ledger_writer', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = 'LB013', MESSAGE = format(
            'user %s is not a person''s login role (it is a group, a superuser, the deploy account or a service account): '
            'change it with the database''s own tools', p_name);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION ledger.check_person(text) FROM PUBLIC;

-- The group of a role argument (officer|approver|auditor|admin), or LB010.
CREATE FUNCTION ledger.people_group(p_role text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF p_role IS NULL OR p_role NOT IN ('officer', 'approver', 'auditor', 'admin') THEN
        RAISE EXCEPTION USING ERRCODE = 'LB010', MESSAGE = format(
            'role %s: must be officer, approver, auditor or admin', coalesce(to_jsonb(p_role)::text, 'null'));
    END IF;
    RETURN 'ledger_' || p_role;
END
$$;
REVOKE ALL ON FUNCTION ledger.people_group(text) FROM PUBLIC;

-- Creates a login role for a person in one group (admins only); same signature and messages as
-- 0005's, now recorded as UserAdded on stream user-NAME with the admin as actor.
CREATE OR REPLACE FUNCTION ledger.add_user(p_name text, p_role text, p_password text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_group text;
BEGIN
    IF p_name IS NULL OR p_name !~ '^[a-z_][a-z0-9_]{0,62}$' OR p_name LIKE 'pg\_%' OR p_name LIKE 'ledger\_%' THEN
        RAISE EXCEPTION USING ERRCODE = 'LB010', MESSAGE = format(
            'user name %s: use 1-63 lowercase letters, digits and _, starting with a letter or _, not pg_ or ledger_',
            coalesce(to_jsonb(p_name)::text, 'null'));
    END IF;
    v_group := ledger.people_group(p_role);
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_name) THEN
        RAISE EXCEPTION USING ERRCODE = 'LB011', MESSAGE = format('user %s already exists', p_name);
    END IF;
    IF p_password IS NOT NULL AND p_password = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'LB010', MESSAGE = 'password: must not be empty';
    END IF;
    IF p_password IS NULL THEN
        EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', p_name, v_group);
    ELSE
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_name, p_password, v_group);
    END IF;
    PERFORM ledger.apply_session_limits(p_name);
    PERFORM ledger.append_internal('user-' || p_name, 'UserAdded',
        jsonb_build_object('user', p_name, 'group', v_group, 'password_set', p_password IS NOT NULL));
    RETURN v_group;
END
$$;

-- Adds a person to one more group (admins only; never their own roles). Returns the group.
CREATE FUNCTION ledger.grant_user_role(p_name text, p_role text) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_group text;
BEGIN
    PERFORM ledger.check_person(p_name);
    v_group := ledger.people_group(p_role);
    IF p_name = session_user THEN
        RAISE EXCEPTION USING ERRCODE = 'LB012', MESSAGE = format(
            'user %s: an admin may not change their own roles; ask another admin', p_name);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
               WHERE m.roleid = v_group::regrole AND m.member = p_name::regrole) THEN
        RAISE EXCEPTION USING ERRCODE = 'LB011', MESSAGE = format('user %s is already in %s', p_name, v_group);
    END IF;
    EXECUTE format('GRANT %I TO %I', v_group, p_name);
    PERFORM ledger.apply_session_limits(p_name);
    PERFORM ledger.append_internal('user-' || p_name, 'UserRoleGranted', jsonb_build_object('user', p_name, 'group', v_group));
    RETURN v_group;
END
$$;

-- Removes a person from a group (admins only; never their own roles). Returns the group.
CREATE FUNCTION ledger.revoke_user_role(p_name text, p_role text) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_group text;
BEGIN
    PERFORM ledger.check_person(p_name);
    v_group := ledger.people_group(p_role);
    IF p_name = session_user THEN
        RAISE EXCEPTION USING ERRCODE = 'LB012', MESSAGE = format(
            'user %s: an admin may not change their own roles; ask another admin', p_name);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                   WHERE m.roleid = v_group::regrole AND m.member = p_name::regrole) THEN
        RAISE EXCEPTION USING ERRCODE = 'LB013', MESSAGE = format('user %s is not in %s', p_name, v_group);
    END IF;
    EXECUTE format('REVOKE %I FROM %I', v_group, p_name);
    PERFORM ledger.append_internal('user-' || p_name, 'UserRoleRevoked', jsonb_build_object('user', p_name, 'group', v_group));
    RETURN v_group;
END
$$;

-- Sets a person's password (admins only). The event says whose, never what.
CREATE FUNCTION ledger.reset_user_password(p_name text, p_password text) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    PERFORM ledger.check_person(p_name);
    IF p_password IS NULL OR p_password = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'LB010', MESSAGE = 'password: must not be empty';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', p_name, p_password);
    PERFORM ledger.append_internal('user-' || p_name, 'UserPasswordReset', jsonb_build_object('user', p_name));
END
$$;

REVOKE ALL ON FUNCTION ledger.grant_user_role(text, text), ledger.revoke_user_role(text, text),
    ledger.reset_user_password(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.grant_user_role(text, text), ledger.revoke_user_role(text, text),
    ledger.reset_user_password(text, text) TO ledger_admin;

-- Existing people get the session limits now (members of the four groups that log in; not
-- superusers, not the deploy account).
DO $existing_people$
DECLARE
    v_name text;
BEGIN
    FOR v_name IN
        SELECT r.rolname FROM pg_catalog.pg_roles r
        WHERE r.rolcanlogin AND NOT r.rolsuper
          AND NOT pg_catalog.pg_has_role(r.oid, 'ledger_owner', 'MEMBER')
          AND (pg_catalog.pg_has_role(r.oid, 'ledger_officer', 'MEMBER') OR pg_catalog.pg_has_role(r.oid, 'ledger_approver', 'MEMBER')
               OR pg_catalog.pg_has_role(r.oid, 'ledger_auditor', 'MEMBER') OR pg_catalog.pg_has_role(r.oid, 'ledger_admin', 'MEMBER'))
        ORDER BY r.rolname
    LOOP
        PERFORM ledger.apply_session_limits(v_name);
    END LOOP;
END
$existing_people$;

---------------------------------------------------------------------------------------------
-- 5. Every DDL statement on ledger and ledger_meta, outside a migration, goes into the log
---------------------------------------------------------------------------------------------
-- A running migration is a transaction that has inserted its ledger_meta.schema_migrations row
-- (the migrator inserts it before the file's SQL): only ledger_owner (the deploy account) and
-- superusers may insert there, and a row this binary does not know makes `ledger migrate` refuse.
-- GRANT/REVOKE/ALTER DEFAULT PRIVILEGES do not tell an event trigger their objects: they are
-- recorded when the statement names ledger or ledger_meta. Event triggers never see role
-- commands (CREATE/ALTER/GRANT ROLE) or a superuser who disables or drops the event trigger
-- (or sets session_replication_role = replica): `ledger audit schema` names what that left behind.
CREATE FUNCTION ledger.record_schema_change() RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    c_max_objects constant int := 100;
    c_max_statement_chars constant int := 2000;
    v_objects jsonb;
    v_count   int;
BEGIN
    IF TG_EVENT = 'ddl_command_end' THEN
        SELECT jsonb_agg(jsonb_build_object('command_tag', c.command_tag, 'object_type', c.object_type,
                                            'object_identity', c.object_identity) ORDER BY c.n) FILTER (WHERE c.n <= c_max_objects),
               count(*)
        INTO v_objects, v_count
        FROM pg_event_trigger_ddl_commands() WITH ORDINALITY AS c(classid, objid, objsubid, command_tag, object_type,
                                                                   schema_name, object_identity, in_extension, command, n)
        WHERE c.schema_name IN ('ledger', 'ledger_meta')
           OR (c.object_type = 'schema' AND c.object_identity IN ('ledger', 'ledger_meta'))
           OR c.object_identity ~ ' on (ledger|ledger_meta)\.'
           OR (c.command_tag IN ('GRANT', 'REVOKE', 'ALTER DEFAULT PRIVILEGES')
               AND current_query() ~* '(^|[^a-z0-9_"])"?(ledger|ledger_meta)"?([^a-z0-9_]|$)');
    ELSE  -- sql_drop
        SELECT jsonb_agg(jsonb_build_object('command_tag', TG_TAG, 'object_type', d.object_type,
                                            'object_identity', d.object_identity) ORDER BY d.n) FILTER (WHERE d.n <= c_max_objects),
               count(*)
        INTO v_objects, v_count
        FROM pg_event_trigger_dropped_objects() WITH ORDINALITY AS d(classid, objid, objsubid, original, normal, is_temporary,
                                                                     object_type, schema_name, object_name, object_identity,
                                                                     address_names, address_args, n)
        WHERE d.schema_name IN ('ledger', 'ledger_meta')
           OR (d.object_type = 'schema' AND d.object_identity IN ('ledger', 'ledger_meta'))
           OR d.object_identity ~ ' on (ledger|ledger_meta)\.';
    END IF;
    IF v_count = 0 THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_meta.schema_migrations m WHERE m.xmin = pg_current_xact_id()::xid) THEN
        RETURN;  -- part of a migration, recorded by its schema_migrations row
    END IF;
    PERFORM ledger.append_internal('schema', 'SchemaChanged', jsonb_build_object(
        'event', TG_EVENT, 'command_tag', TG_TAG, 'objects', v_objects, 'object_count', v_count,
        'statement', left(current_query(), c_max_statement_chars)));
END
$$;
REVOKE ALL ON FUNCTION ledger.record_schema_change() FROM PUBLIC;

RESET ROLE;  -- event triggers are a superuser's

CREATE EVENT TRIGGER ledger_record_ddl ON ddl_command_end EXECUTE FUNCTION ledger.record_schema_change();
CREATE EVENT TRIGGER ledger_record_drops ON sql_drop EXECUTE FUNCTION ledger.record_schema_change();
