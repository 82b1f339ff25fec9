import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

/// Issue 7, "Admins are owners": a member of ledger_admin, with psql and only the rights the
/// project grants, tried to disable the events trigger, replace ledger.append, grant themselves
/// any role and reset an approver's password. After 0011 the schema is ledger_owner's (NOLOGIN),
/// ledger_admin has no CREATEROLE, and what only a superuser can still do is recorded in the log
/// and named by `ledger audit schema`.
@Suite(.enabled(if: TestDatabase.enabled))
struct OwnershipTests {
    static let adminAttacks = [
        "ALTER TABLE ledger.events DISABLE TRIGGER events_refuse_update_delete",
        "DROP TRIGGER events_refuse_update_delete ON ledger.events",
        "CREATE OR REPLACE FUNCTION ledger.append(p_command_id text, p_batch jsonb) RETURNS jsonb LANGUAGE sql RETURN '{}'::jsonb",
        "ALTER FUNCTION ledger.append(text, jsonb) SECURITY INVOKER",
        "GRANT ledger_approver TO SESSION_USER",
        "GRANT ledger_owner TO SESSION_USER",
        "ALTER ROLE {approver} PASSWORD 'taken-over'",
        "CREATE ROLE ledger_test_intruder LOGIN",
        "INSERT INTO ledger.append_grants (role_name, event_type) VALUES ('ledger_admin', '*')",
        "UPDATE ledger.events SET payload = '{}'",
        "CREATE SCHEMA intruder",
        "CREATE TABLE ledger.intruder (a int)",
    ]

    @Test(arguments: adminAttacks, [false, true])
    func anAdminIsRefusedWhatOnlyTheOwnerMayDo(attack: String, asGroupRole: Bool) async throws {
        try await TestDatabase.withFresh { db in
            let approver = try await TestDatabase.loginRole(memberOf: "ledger_approver")
            let before = try await SchemaAudit.facts(connection: try await db.connect())
            let admin = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))
            if asGroupRole { try await admin.simpleQuery("SET ROLE ledger_admin") }
            let statement = attack.replacingOccurrences(of: "{approver}", with: approver)
            do {
                try await admin.simpleQuery(statement)
                Issue.record("an admin was allowed: \(statement)")
            } catch let error as PostgresError {
                #expect(error.code == .insufficientPrivilege, "\(statement): \(error)")
            }
            // Nothing changed: the same functions, triggers, owners, grants and roles as before.
            let after = try await SchemaAudit.facts(connection: try await db.connect())
            #expect(SchemaAudit.compare(expected: before, found: after) == [])
            #expect(try await db.connect().queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) } == 0)
        }
    }

    @Test func adminsStillDefineProgrammesThroughTheAppend() async throws {
        try await TestDatabase.withFresh { db in
            let admin = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))
            // The grant check passes (the payload check of 0009 then names the missing field):
            // ownership was never what let admins append.
            do {
                _ = try await admin.queryOne("SELECT ledger.append($1, $2::jsonb)", [
                    "admin-program-1",
                    #"[{"stream_id": "program-x", "expected_version": "any", "events": [{"type": "ProgramDefined", "schema_version": 1, "payload": {}}]}]"#,
                ]) { try $0.string(0) }
            } catch let error as PostgresError {
                #expect(error.code != .insufficientPrivilege && error.code != PostgresError.Code("LP001"), "\(error)")
            }
            // And reads what the runner needs.
            let events = try await admin.queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) }
            #expect(events == 0)
        }
    }

    @Test func aSuperusersReplacedFunctionAndDisabledTriggerAreRecordedAndNamedByAuditSchema() async throws {
        try await TestDatabase.withFresh { db in
            let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
            let superuser = try await db.connect()
            let before = try await SchemaAudit.facts(connection: superuser)
            let name = try await superuser.queryOne("SELECT session_user::text") { try $0.string(0) }
            try await superuser.simpleQuery("""
                CREATE OR REPLACE FUNCTION ledger.digest() RETURNS jsonb LANGUAGE sql STABLE
                SET search_path = pg_catalog, ledger, pg_temp
                RETURN jsonb_build_object('position', 0, 'hash', 'forged');
                ALTER TABLE ledger.events DISABLE TRIGGER events_refuse_update_delete;
                GRANT UPDATE ON ledger.head TO PUBLIC;
                """)
            // The issue's attack: ledger.append rewritten so that a session setting chooses the recorded actor.
            try await superuser.simpleQuery("""
                DO $attack$
                BEGIN
                    EXECUTE replace(pg_get_functiondef('ledger.append(text, jsonb)'::regprocedure),
                                    'session_user::text', 'coalesce(current_setting(''ledger.actor'', true), session_user::text)');
                END
                $attack$;
                """)

            let after = try await ledger("audit", "schema", in: db, user: auditor)
            #expect(after.status == 2, "\(after)")
            #expect(after.stdout.contains("function ledger.digest() definition md5"), "\(after)")
            #expect(after.stdout.contains("trigger events_refuse_update_delete on ledger.events state"), "\(after)")
            #expect(after.stdout.contains("table ledger.head grant to PUBLIC"), "\(after)")
            #expect(after.stdout.contains("function ledger.append(p_command_id text, p_batch jsonb) definition md5"), "\(after)")
            let changed = SchemaAudit.compare(expected: before, found: try await SchemaAudit.facts(connection: superuser))
            #expect(Set(changed.map(\.fact)) == [
                "function ledger.digest() definition md5", "function ledger.append(p_command_id text, p_batch jsonb) definition md5",
                "trigger events_refuse_update_delete on ledger.events state", "table ledger.head grant to PUBLIC",
            ], "\(changed)")

            // Each statement is in the log, with who ran it.
            let recorded = try await superuser.query("""
                SELECT position, metadata ->> 'actor', payload ->> 'command_tag', payload ->> 'statement'
                FROM ledger.events WHERE stream_id = 'schema' AND event_type = 'SchemaChanged' ORDER BY position
                """) { (try $0.int64(0), try $0.string(1), try $0.string(2), try $0.string(3)) }
            #expect(recorded.map(\.0) == [1, 2, 3, 4])
            #expect(recorded.allSatisfy { $0.1 == name })
            #expect(recorded.map(\.2) == ["CREATE FUNCTION", "ALTER TABLE", "GRANT", "CREATE FUNCTION"])
            #expect(recorded[1].3.contains("DISABLE TRIGGER events_refuse_update_delete"))
            #expect(recorded[3].3.contains("ledger.actor"))
        }
    }

    @Test func migrationsLeaveTheLogEmptyAndDDLOutsideTheLedgersSchemasIsNotRecorded() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            #expect(try await superuser.queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) } == 0)
            // The read models are derived data (their rebuilds run DDL); temporary tables are nobody's business.
            let admin = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))
            try await admin.simpleQuery("""
                SET ROLE ledger_admin;
                CREATE INDEX applications_test_idx ON ledger_read.applications (program);
                DROP INDEX ledger_read.applications_test_idx;
                CREATE TEMP TABLE scratch (a int);
                """)
            try await superuser.simpleQuery("CREATE TABLE public.elsewhere (a int); DROP TABLE public.elsewhere")
            #expect(try await superuser.queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) } == 0)
        }
    }

    @Test(arguments: ["UserAdded", "UserRoleGranted", "UserPasswordReset", "SchemaChanged"])
    func internalEventTypesCannotBeAppendedDirectly(type: String) async throws {
        try await TestDatabase.withFresh { db in
            let batch = #"[{"stream_id": "user-someone", "expected_version": "any", "events": [{"type": "\#(type)", "schema_version": 1, "payload": {"user": "someone"}}]}]"#
            for group in ["ledger_admin", "ledger_writer"] {
                let connection = try await db.connect(user: try await TestDatabase.loginRole(memberOf: group))
                do {
                    _ = try await connection.queryOne("SELECT ledger.append($1, $2::jsonb)", ["forged-\(type)", batch]) { try $0.string(0) }
                    Issue.record("\(group) appended \(type) directly")
                } catch let error as PostgresError {
                    #expect(error.code == PostgresError.Code("LP002") || error.code == PostgresError.Code("LP001"), "\(group): \(error)")
                }
            }
            #expect(try await db.connect().queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) } == 0)
        }
    }

    /// A later migration run by the deploy account (LOGIN, CREATEROLE, member of ledger_owner, not a
    /// superuser) creates objects owned by ledger_owner and leaves the log as it was; the same DDL
    /// outside a migration is recorded with the deploy account as the actor.
    @Test func theDeployAccountMigratesWithoutTouchingTheLog() async throws {
        let deploy = TestDatabase.uniqueName("o_deploy")
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            try await superuser.simpleQuery("CREATE ROLE \(deploy) LOGIN CREATEROLE IN ROLE ledger_owner")
            do {
                let sql = """
                    SET LOCAL ROLE ledger_owner;
                    CREATE TABLE ledger.deploy_fixture (note text);
                    REVOKE ALL ON ledger.deploy_fixture FROM PUBLIC;
                    GRANT SELECT ON ledger.deploy_fixture TO ledger_auditor;
                    """
                let extra = try Migration(name: "9001_deploy_fixture.sql", bytes: Array(sql.utf8))
                let connection = try await db.connect(user: deploy)
                let report = try await Migrator(connection: connection, migrations: try Migration.bundled() + [extra]).migrate()
                #expect(report.applied == [extra])
                #expect(try await superuser.queryOne("SELECT tableowner::text FROM pg_tables WHERE tablename = 'deploy_fixture'") { try $0.string(0) } == "ledger_owner")
                #expect(try await superuser.queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) } == 0)

                try await connection.simpleQuery("CREATE INDEX deploy_fixture_note_idx ON ledger.deploy_fixture (note)")
                let recorded = try await superuser.query(
                    "SELECT metadata ->> 'actor', payload ->> 'command_tag' FROM ledger.events WHERE event_type = 'SchemaChanged'"
                ) { (try $0.string(0), try $0.string(1)) }
                #expect(recorded.count == 1)
                #expect(recorded.first?.0 == deploy)
                #expect(recorded.first?.1 == "CREATE INDEX")
                await connection.close()
                try await superuser.simpleQuery("DROP ROLE IF EXISTS \(deploy)")
            } catch {
                try? await superuser.simpleQuery("DROP ROLE IF EXISTS \(deploy)")
                throw error
            }
        }
    }

    @Test func theEmbeddedManifestIsWhatTheMigrationsDefine() async throws {
        try await TestDatabase.withFresh { db in
            let live = try await SchemaAudit.facts(connection: try await db.connect())
            let differences = SchemaAudit.compare(expected: SchemaManifest.facts, found: live)
            #expect(
                differences.isEmpty,
                """
                Sources/Migrations/SchemaManifest.swift is stale: run `make schema-manifest` and commit it.
                \(differences.prefix(20).map { "\($0.kind.rawValue): \($0.fact) (manifest \($0.expected ?? "-"), database \($0.found ?? "-"))" }.joined(separator: "\n"))
                """
            )
        }
    }
}

/// `ledger user add|grant|revoke|password`: admins manage people without CREATEROLE, and each
/// change is an event in the log with the admin as the actor.
@Suite(.enabled(if: TestDatabase.enabled))
struct UserCommandTests {
    /// The person's role is cluster-wide: dropped at the end, whatever happens.
    @Test func addGrantRevokeAndPasswordAreEventsWithTheAdminAsActor() async throws {
        let name = TestDatabase.uniqueName("o_person")
        try await TestDatabase.withFresh { db in
            let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            let superuser = try await db.connect()
            do {
                let add = try await LedgerBinary.run(
                    ["user", "add", name, "--role", "officer", "--password-stdin"],
                    environment: childEnvironment(db, user: admin), standardInput: "first-s3cret\n"
                )
                #expect(add.status == 0, "\(add)")
                #expect(add.stderr.contains("created login role \(name) in ledger_officer"), "\(add)")
                let grant = try await ledger("user", "grant", name, "--role", "approver", in: db, user: admin)
                #expect(grant.status == 0, "\(grant)")
                #expect(try await superuser.queryOne("SELECT pg_has_role($1, 'ledger_approver', 'MEMBER')", [name]) { try $0.bool(0) })
                let revoke = try await ledger("user", "revoke", name, "--role", "approver", in: db, user: admin)
                #expect(revoke.status == 0, "\(revoke)")
                #expect(try await !superuser.queryOne("SELECT pg_has_role($1, 'ledger_approver', 'MEMBER')", [name]) { try $0.bool(0) })
                let password = try await LedgerBinary.run(
                    ["user", "password", name, "--password-stdin"],
                    environment: childEnvironment(db, user: admin), standardInput: "s3cret-pass\n"
                )
                #expect(password.status == 0, "\(password)")
                #expect(password.stderr.contains("password of \(name) reset"), "\(password)")
                #expect(try await superuser.queryOne("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = $1", [name]) { try $0.bool(0) })

                let events = try await superuser.query("""
                    SELECT event_type, metadata ->> 'actor', payload::text FROM ledger.events
                    WHERE stream_id = $1 ORDER BY position
                    """, ["user-" + name]) { (try $0.string(0), try $0.string(1), try $0.string(2)) }
                #expect(events.map(\.0) == ["UserAdded", "UserRoleGranted", "UserRoleRevoked", "UserPasswordReset"])
                #expect(events.allSatisfy { $0.1 == admin }, "\(events)")
                #expect(events.allSatisfy { !$0.2.contains("s3cret") }, "\(events)")
                #expect(events.first?.2.contains(#""password_set": true"#) == true, "\(events)")

                // People's session limits, on the login role itself.
                let settings = try await superuser.queryOne(
                    "SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = $1", [name]
                ) { try $0.optionalString(0) }
                #expect(settings?.contains("lock_timeout=10s") == true, "\(settings ?? "none")")
                #expect(settings?.contains("idle_in_transaction_session_timeout=60s") == true, "\(settings ?? "none")")
                try await superuser.simpleQuery("DROP ROLE IF EXISTS \(name)")
            } catch {
                try? await superuser.simpleQuery("DROP ROLE IF EXISTS \(name)")
                throw error
            }
        }
    }

    @Test func anAdminMayNotChangeTheirOwnRolesNorAServiceAccount() async throws {
        try await TestDatabase.withFresh { db in
            let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            let own = try await ledger("user", "grant", admin, "--role", "approver", in: db, user: admin)
            #expect(own.status == 1, "\(own)")
            #expect(own.stderr.contains("may not change their own roles"), "\(own)")
            let writer = try await TestDatabase.loginRole(memberOf: "ledger_writer")
            let service = try await ledger("user", "revoke", writer, "--role", "officer", in: db, user: admin)
            #expect(service.status == 1, "\(service)")
            #expect(service.stderr.contains("not a person's login role"), "\(service)")
            let password = try await ledger("user", "password", writer, in: db, user: admin)
            #expect(password.status == 64, "\(password)")
            #expect(password.stderr.contains("--password-stdin"), "\(password)")
            #expect(try await db.connect().queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) } == 0)
        }
    }
}
