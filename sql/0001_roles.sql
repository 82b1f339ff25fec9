-- 0001_roles.sql — the three group roles of the event store, and ownership rights for ledger_admin.
--
-- Roles are cluster-wide: this file runs once per database, so it creates a role only when it
-- is missing and tolerates another database's migration creating it at the same moment.
-- No BEGIN/COMMIT here: the migrator runs each file inside its own transaction.

-- ledger_admin owns the schema and every object in it; NOLOGIN, people get it by membership.
-- ledger_writer may EXECUTE ledger.append and SELECT everything (granted in later files).
-- ledger_auditor may SELECT only (granted in later files).
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['ledger_admin', 'ledger_writer', 'ledger_auditor'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                -- Another database's migration created it between our check and our CREATE.
                NULL;
            END;
        END IF;
    END LOOP;
END
$roles$;

-- The migrator must be able to SET ROLE ledger_admin (superusers already can; a CREATEROLE
-- migrator on PostgreSQL 15 is not a member of roles it creates, so make it one).
DO $membership$
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'ledger_admin', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT ledger_admin TO %I', current_user);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$membership$;

-- ledger_admin creates the schema itself (later files SET LOCAL ROLE ledger_admin), so that it
-- owns everything without a trail of ALTER OWNER statements.
DO $database$
BEGIN
    EXECUTE format('GRANT CREATE ON DATABASE %I TO ledger_admin', current_database());
END
$database$;
