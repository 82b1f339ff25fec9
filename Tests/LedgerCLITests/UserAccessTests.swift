import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// `ledger user disable|enable|role` (sql/0015): admins switch a person's login off and on and
/// move them to another role; each change is an event on user-NAME with the admin as actor.
@Suite(.enabled(if: TestDatabase.enabled))
struct UserAccessTests {
    static func events(_ db: FreshDatabase, of name: String) async throws -> [(type: String, actor: String, payload: String)] {
        try await db.connect().query("""
            SELECT event_type, metadata ->> 'actor', payload::text FROM ledger.events WHERE stream_id = $1 ORDER BY position
            """, ["user-" + name]) { (try $0.string(0), try $0.string(1), try $0.string(2)) }
    }

    /// Runs `body` with a new person `name` (an officer added by `admin`), dropped at the end.
    static func withPerson(_ db: FreshDatabase, admin: String, _ body: (String) async throws -> Void) async throws {
        let name = TestDatabase.uniqueName("u_person")
        let superuser = try await db.connect()
        do {
            let add = try await ledger("user", "add", name, "--role", "officer", in: db, user: admin)
            #expect(add.status == 0, "\(add)")
            try await body(name)
            try await superuser.simpleQuery("DROP ROLE IF EXISTS \(name)")
        } catch {
            try? await superuser.simpleQuery("DROP ROLE IF EXISTS \(name)")
            throw error
        }
    }

    @Test func aDisabledPersonCannotLogInUntilEnabledAndTheHistoryStays() async throws {
        try await TestDatabase.withFresh { db in
            #expect(try await ledger("migrate", in: db).status == 0)
            let admin = try await TestDatabase.loginRole("access", memberOf: ["ledger_admin"])
            try await Self.withPerson(db, admin: admin) { name in
                let before = try await ledger("status", in: db, user: name)
                #expect(before.status == 0, "\(before)")

                let disable = try await ledger("user", "disable", name, in: db, user: admin)
                #expect(disable.status == 0, "\(disable)")
                #expect(disable.stdout.contains("may log in: no"), "\(disable)")
                #expect(disable.stderr.contains("\(name) is disabled and can no longer log in"), "\(disable)")
                let locked = try await ledger("status", in: db, user: name)
                #expect(locked.status != 0 && locked.stderr.contains("is not permitted to log in"), "\(locked)")
                let twice = try await ledger("user", "disable", name, in: db, user: admin)
                #expect(twice.status == 1 && twice.stderr.contains("user \(name) is already disabled"), "\(twice)")

                let enable = try await ledger("user", "enable", name, in: db, user: admin)
                #expect(enable.status == 0 && enable.stdout.contains("may log in: yes"), "\(enable)")
                #expect(try await ledger("status", in: db, user: name).status == 0)
                let again = try await ledger("user", "enable", name, in: db, user: admin)
                #expect(again.status == 1 && again.stderr.contains("user \(name) is not disabled"), "\(again)")

                let password = try await LedgerBinary.run(
                    ["user", "password", name, "--password-stdin"], environment: childEnvironment(db, user: admin), standardInput: "n3w-s3cret\n"
                )
                #expect(password.status == 0 && password.stderr.contains("password of \(name) reset"), "\(password)")

                let events = try await Self.events(db, of: name)
                #expect(events.map(\.type) == ["UserAdded", "UserDisabled", "UserEnabled", "UserPasswordReset"], "\(events)")
                #expect(events.allSatisfy { $0.actor == admin && !$0.payload.contains("s3cret") }, "\(events)")
                let history = try await ledger("audit", "history", "--stream", "user-" + name, in: db)
                #expect(history.stdout.contains("UserDisabled") && history.stdout.contains("UserEnabled"), "\(history)")
            }
        }
    }

    @Test func aRoleChangeRevokesTheOldGroupAndGrantsTheNewInOneStep() async throws {
        try await TestDatabase.withFresh { db in
            #expect(try await ledger("migrate", in: db).status == 0)
            let admin = try await TestDatabase.loginRole("access", memberOf: ["ledger_admin"])
            try await Self.withPerson(db, admin: admin) { name in
                let change = try await ledger("user", "role", name, "--role", "approver", in: db, user: admin)
                #expect(change.status == 0, "\(change)")
                #expect(change.stdout.contains("role: ledger_approver") && change.stderr.contains("\(name) is now only in ledger_approver"), "\(change)")
                let superuser = try await db.connect()
                let groups = try await superuser.query("""
                    SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                    WHERE m.member = $1::regrole ORDER BY 1
                    """, [name]) { try $0.string(0) }
                #expect(groups == ["ledger_approver"])
                // As an approver now: may not register a beneficiary any more.
                let register = try await ledger("beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "X",
                                                "--district", "Ô Môn", in: db, user: name)
                #expect(register.status != 0 && register.stderr.contains("permission"), "\(register)")
                let same = try await ledger("user", "role", name, "--role", "approver", in: db, user: admin)
                #expect(same.status == 1 && same.stderr.contains("is already only in ledger_approver"), "\(same)")
                let own = try await ledger("user", "role", admin, "--role", "officer", in: db, user: admin)
                #expect(own.status == 1 && own.stderr.contains("may not change their own roles"), "\(own)")
                let events = try await Self.events(db, of: name)
                #expect(events.map(\.type) == ["UserAdded", "UserRoleRevoked", "UserRoleGranted"], "\(events)")
                #expect(events[1].payload.contains("ledger_officer") && events[2].payload.contains("ledger_approver"), "\(events)")
            }
        }
    }

    @Test func onlyAdminsManageAccessAndNobodyForgesItsEvents() async throws {
        try await TestDatabase.withFresh { db in
            #expect(try await ledger("migrate", in: db).status == 0)
            let admin = try await TestDatabase.loginRole("access", memberOf: ["ledger_admin"])
            let officer = try await TestDatabase.loginRole("access", memberOf: ["ledger_officer"])
            let selfDisable = try await ledger("user", "disable", admin, in: db, user: admin)
            #expect(selfDisable.status == 1 && selfDisable.stderr.contains("may not disable themselves"), "\(selfDisable)")
            try await Self.withPerson(db, admin: admin) { name in
                for arguments in [["user", "disable", name], ["user", "enable", name], ["user", "role", name, "--role", "admin"]] {
                    let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: officer))
                    #expect(run.status != 0 && run.stderr.contains("permission denied"), "\(run)")
                }
                let unknown = try await ledger("user", "disable", "nobody_here_\(name)", in: db, user: admin)
                #expect(unknown.status == 1 && unknown.stderr.contains("does not exist"), "\(unknown)")
                // A role without a login that is nobody's person (a reporting group) is never given one.
                let group = TestDatabase.uniqueName("reporting")
                let superuser = try await db.connect()
                try await superuser.simpleQuery("CREATE ROLE \(group) NOLOGIN")
                let enabled = try await ledger("user", "enable", group, in: db, user: admin)
                let canLogIn = try await superuser.queryOne("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", [group]) { try $0.bool(0) }
                try await superuser.simpleQuery("DROP ROLE \(group)")
                await superuser.close()
                #expect(enabled.status == 1 && enabled.stderr.contains("is not a person's login role") && !canLogIn, "\(enabled)")
                // An admin appending UserDisabled by hand is refused: only ledger.disable_user records it.
                let connection = try await db.connect(user: admin)
                for type in ["UserDisabled", "UserEnabled"] {
                    let batch = """
                        [{"stream_id": "user-\(name)", "expected_version": "any", "events": [{"type": "\(type)", "schema_version": 1,
                          "payload": {"user": "\(name)"}}]}]
                        """
                    do {
                        _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["forged-" + UUID().uuidString, batch]) { try $0.string(0) }
                        Issue.record("\(type) appended directly")
                    } catch let error as PostgresError {
                        #expect(error.code.rawValue == "LP002", "\(error)")
                    }
                }
                #expect(try await Self.events(db, of: name).map(\.type) == ["UserAdded"])
            }
        }
    }
}
