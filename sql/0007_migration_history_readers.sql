-- 0007_migration_history_readers.sql — admins and auditors may read which migrations were
-- applied, when and by whom (`ledger migrate --list`); only the role that runs migrations writes.

GRANT USAGE ON SCHEMA ledger_meta TO ledger_admin, ledger_auditor;
GRANT SELECT ON ledger_meta.schema_migrations TO ledger_admin, ledger_auditor;
