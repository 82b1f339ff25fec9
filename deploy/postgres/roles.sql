-- The login roles of the ledger's own services (deploy/systemd). Run once as a superuser, after
-- the first `ledger migrate` (admins have no CREATEROLE):  psql -d ledger -f deploy/postgres/roles.sql
--
-- Each gets what it needs through membership of a ledger group, never through grants on the
-- ledger's tables: `ledger audit schema` names every grant to a login role as unexpected, and the
-- event trigger records GRANTs on `ledger`/`ledger_meta` in the log as SchemaChanged events.
-- No passwords: they connect with `peer` over the unix socket (pg_hba.conf, pg_ident.conf).

-- ledger serve's own role: /readyz reads ledger_meta.schema_migrations; /metrics reads
-- ledger.head, ledger.events (each projection's lag in time, appends by type) and
-- ledger_read.checkpoints with the projection leases. ledger_auditor may read those (and, as any
-- auditor, the rest of the log and the read models) and appends nothing. (Signing in is done by
-- each person's own role, not this one.)
CREATE ROLE ledger_web LOGIN IN ROLE ledger_auditor;

-- The nightly `ledger audit verify --digest …` and `ledger audit digest` (ledger-verify.service).
CREATE ROLE ledger_verify LOGIN IN ROLE ledger_auditor;

-- The projection follower (ledger-projections.service) folds into the read models as
-- ledger_admin, their owner; create it as an admin person is created, so it gets the session
-- settings of ledger.session_limits() and a UserAdded event names who added it:
--   ledger user add projector --role admin
-- (`ledger serve --follow-projections` runs the follower inside the web service as the web
-- service's own role, which would then have to be an admin too: prefer the separate unit.)
