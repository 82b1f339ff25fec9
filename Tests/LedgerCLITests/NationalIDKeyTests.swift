import EventStore
import Foundation
import Ledger
import Migrations
import Postgres
import Testing
import TestSupport

/// National ids are fingerprinted inside PostgreSQL under a key no login role can read
/// (sql/0014_national_ids.sql): set once by an admin, never on officers' machines.
@Suite(.enabled(if: TestDatabase.enabled))
struct NationalIDKeyTests {
    static let key = "can-tho-dolisa-national-id-key-2024-keep-secret"
    static let otherKey = "can-tho-dolisa-national-id-key-2024-keep-secreT"
    static let id = "092080001234"

    static func register(_ beneficiary: String, nationalID: String = id) -> [String] {
        ["beneficiary", "register", "--id", beneficiary, "--kind", "household", "--name", "Trần Văn \(beneficiary)",
         "--district", "Phong Điền", "--category", "poor", "--registered-on", "2024-03-01", "--national-id", nationalID]
    }

    static func head(_ db: FreshDatabase) async throws -> Int64 {
        try await db.connect().queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
    }

    /// `ledger national-id key set --key-file FILE` with `contents` in FILE, as `user`.
    static func setKey(_ db: FreshDatabase, _ contents: [UInt8], user: String?, checks: String? = nil,
                       extra: [String] = []) async throws -> LedgerRun {
        try await withScratchFolder { folder in
            let file = folder.appendingPathComponent("national-id.key")
            try Data(contents).write(to: file)
            return try await LedgerBinary.run(
                ["national-id", "key", "set", "--key-file", file.path] + (checks == nil ? [] : ["--check-national-id-stdin"]) + extra,
                environment: childEnvironment(db, user: user), standardInput: checks
            )
        }
    }

    static func migrated(_ db: FreshDatabase) async throws {
        let run = try await LedgerBinary.run(["migrate"], environment: childEnvironment(db))
        #expect(run.status == 0, "\(run)")
    }

    // MARK: The key

    @Test func noLoginRoleReadsTheKeyNotEvenAnAdmin() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.migrated(db)
            let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            #expect(try await Self.setKey(db, Array(Self.key.utf8), user: admin).status == 0)
            for group in ["ledger_officer", "ledger_approver", "ledger_auditor", "ledger_admin", "ledger_writer"] {
                let connection = try await db.connect(user: try await TestDatabase.loginRole(memberOf: group))
                for sql in [
                    "SELECT * FROM ledger.national_id_key",
                    "SELECT * FROM ledger.national_id_issued",
                    "INSERT INTO ledger.national_id_issued VALUES (pg_current_xact_id(), repeat('a', 64))",
                    "SELECT ledger.national_id_key_pads('\\x00'::bytea)",
                    "SELECT ledger.national_id_fingerprints_under_key('{092080001234}')",
                ] {
                    let error = await #expect(throws: PostgresError.self, "\(group): \(sql)") {
                        _ = try await connection.query(sql) { _ in 0 }
                    }
                    #expect(error?.code == .insufficientPrivilege, "\(group): \(sql): \(String(describing: error))")
                }
                // What anyone may see: that a key is set, its id, when and by whom.
                let status = try await LedgerService(connection: connection).nationalIDKeyStatus()
                #expect(status?.setBy == admin, "\(group)")
                await connection.close()
            }
        }
    }

    @Test func anAdminSetsTheKeyOnceFromAFileOfAtLeast32Bytes() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.migrated(db)
            let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            let officer = try await TestDatabase.loginRole(memberOf: "ledger_officer")
            let status = try await LedgerBinary.run(["national-id", "key", "status"], environment: childEnvironment(db, user: officer))
            #expect(status.status == 0 && value(of: "key", in: status.stdout) == "not set", "\(status)")
            #expect(status.stderr.contains("ledger national-id key set --key-file FILE"), "\(status)")

            // 31 bytes and a newline: the newline is not part of the key.
            let short = try await Self.setKey(db, Array(String(repeating: "k", count: 31).utf8) + [10], user: admin)
            #expect(short.status == 64, "\(short)")
            #expect(short.stderr == "ledger: error: --key-file: the key is 31 bytes (one trailing newline not counted); it must be at least 32\n", "\(short)")
            let byOfficer = try await Self.setKey(db, Array(Self.key.utf8), user: officer)
            #expect(byOfficer.status == 1 && byOfficer.stderr.contains("permission denied"), "\(byOfficer)")
            #expect(try await Self.head(db) == 0)

            let set = try await Self.setKey(db, Array(Self.key.utf8) + [10], user: admin)
            #expect(set.status == 0, "\(set)")
            let keyID = try #require(value(of: "key id", in: set.stdout))
            #expect(keyID.count == 16, "\(set)")
            #expect(value(of: "recorded", in: set.stdout) == "NationalIDKeySet at position 1", "\(set)")
            // The same key (here without the newline) again: nothing new.
            let again = try await Self.setKey(db, Array(Self.key.utf8), user: admin)
            #expect(again.status == 0 && value(of: "recorded", in: again.stdout) == "nothing new: this key was already set", "\(again)")
            // Another key: refused, naming the one that is set.
            let other = try await Self.setKey(db, Array(NationalIDKeyTests.otherKey.utf8), user: admin)
            #expect(other.status == 1, "\(other)")
            #expect(other.stderr.contains("a different national-id key (key id \(keyID)) was set at"), "\(other)")
            #expect(other.stderr.contains("by \(admin); it cannot be replaced"), "\(other)")
            #expect(try await Self.head(db) == 1)

            // The log says who set which key, never the key.
            let events = try await EventStore(connection: try await db.connect()).readStream("national-id-key")
            #expect(events.count == 1 && events[0].type == "NationalIDKeySet" && events[0].metadataJSON.contains("\"actor\": \"\(admin)\""),
                    "\(events)")
            #expect(events[0].payloadJSON.contains(keyID) && !events[0].payloadJSON.contains(Self.key), "\(events[0].payloadJSON)")
            let shown = try await LedgerBinary.run(["national-id", "key", "status", "--format", "json"], environment: childEnvironment(db, user: officer))
            #expect(shown.status == 0 && shown.stdout.contains("\"key_id\" : \"\(keyID)\"") && shown.stdout.contains("\"set_by\" : \"\(admin)\""), "\(shown)")

            // NationalIDKeySet is recorded only by `national-id key set`.
            let forged = try await db.connect(user: admin)
            let error = await #expect(throws: PostgresError.self) {
                _ = try await forged.query(
                    "SELECT ledger.append('forged-key', $1::jsonb)",
                    [#"[{"stream_id": "national-id-key", "expected_version": "any", "events": [{"type": "NationalIDKeySet", "schema_version": 1, "payload": {"key_id": "0000000000000000"}}]}]"#]
                ) { _ in 0 }
            }
            #expect(error?.code.rawValue == "LP002", "\(String(describing: error))")
        }
    }

    /// Only a superuser can record a second key (around the function's refusal); verify names it.
    @Test func aSecondKeyRecordedBehindTheLedgersBackIsNamedByAuditVerify() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.migrated(db)
            let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            let set = try await Self.setKey(db, Array(Self.key.utf8), user: admin)
            let keyID = try #require(value(of: "key id", in: set.stdout))
            let superuser = try await db.connect()
            try await superuser.simpleQuery("""
                BEGIN;
                INSERT INTO ledger.internal_appends VALUES (pg_current_xact_id(), 'NationalIDKeySet', 'national-id-key');
                SELECT ledger.append('second-key', '[{"stream_id": "national-id-key", "expected_version": "any", "events": [{"type": "NationalIDKeySet", "schema_version": 1, "payload": {"key_id": "00000000000000aa"}}]}]');
                COMMIT;
                """)
            let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
            let verify = try await LedgerBinary.run(["audit", "verify", "--format", "json"], environment: childEnvironment(db, user: auditor))
            #expect(verify.status == 2, "\(verify)")
            #expect(verify.stdout.contains("\"rule\" : \"lifecycle\""), "\(verify)")
            #expect(verify.stdout.contains("the national-id key was set a second time, to another key (key id 00000000000000aa after \(keyID))"), "\(verify)")
        }
    }

    @Test func theDatabaseComputesWhatTheOldLocalKeyComputed() async throws {
        // HMAC-SHA-256 from sha256() (RFC 2104), for keys shorter than, as long as and longer than the 64-byte block.
        for length in [32, 47, 64, 65, 100] {
            try await TestDatabase.withFresh { db in
                try await Self.migrated(db)
                let key = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
                let admin = LedgerService(connection: try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin")))
                _ = try await admin.setNationalIDKey(key, checking: [])
                let officer = LedgerService(connection: try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer")))
                for digits in [Self.id, "381234567", "000000000000"] {
                    let nationalID = try NationalID(parsing: digits)
                    #expect(try await officer.fingerprint(nationalID) == (try nationalID.fingerprint(keyBytes: key)), "key of \(length) bytes")
                }
                let many = try ["381234567", Self.id, "092080009999"].map { try NationalID(parsing: $0) }
                #expect(try await officer.fingerprints(many) == (try many.map { try $0.fingerprint(keyBytes: key) }))
            }
        }
    }

    // MARK: Registering

    @Test func registeringWithANationalIDBeforeAKeyIsSetTellsAnAdminToSetIt() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.migrated(db)
            _ = try await LedgerBinary.run(["program", "load", "SAMPLE"], environment: childEnvironment(db))
            let officer = try await TestDatabase.loginRole(memberOf: "ledger_officer")
            let before = try await Self.head(db)
            let run = try await LedgerBinary.run(Self.register("HH-7"), environment: childEnvironment(db, user: officer))
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr == """
                ledger: error: no national-id key is set in this ledger, so national ids cannot be fingerprinted: \
                an admin sets it once with `ledger national-id key set --key-file FILE`

                """, "\(run)")
            #expect(try await Self.head(db) == before)
            // Without a national id, registering needs no key.
            var plain = Self.register("HH-8")
            plain.removeLast(2)
            #expect(try await LedgerBinary.run(plain, environment: childEnvironment(db, user: officer)).status == 0)
        }
    }

    /// The issue's case: an officer whose local key differed registered the same household twice.
    @Test func anOfficerWithoutTheKeyRegistersADuplicateIDAndIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.migrated(db)
            let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            #expect(try await Self.setKey(db, Array(Self.key.utf8), user: admin).status == 0)
            let lan = try await TestDatabase.loginRole("lan", memberOf: ["ledger_officer"])
            let hung = try await TestDatabase.loginRole("hung", memberOf: ["ledger_officer"])

            let first = try await LedgerBinary.run(Self.register("HH-7") + ["--format", "json"], environment: childEnvironment(db, user: lan))
            #expect(first.status == 0 && first.stderr.isEmpty, "\(first)")
            // Hưng still has an old key of his own in his environment (one letter differs): it is not read.
            var environment = childEnvironment(db, user: hung)
            environment["LEDGER_NATIONAL_ID_KEY"] = NationalIDKeyTests.otherKey
            let before = try await Self.head(db)
            let second = try await LedgerBinary.run(Self.register("HH-8"), environment: environment)
            #expect(second.status == 1, "\(second)")
            #expect(second.stderr == """
                ledger: warning: LEDGER_NATIONAL_ID_KEY is set but no longer read: national ids are fingerprinted by the database \
                with the ledger's key; an admin loads that key once with `ledger national-id key set --key-file FILE` \
                (docs/operations.md, "National-id key")
                ledger: error: a beneficiary with this national id is already registered (beneficiary-HH-7)

                """, "\(second)")
            #expect(try await Self.head(db) == before)
            // A different person registers.
            let other = try await LedgerBinary.run(Self.register("HH-9", nationalID: "381234567"), environment: environment)
            #expect(other.status == 0, "\(other)")

            // The same registration again is the same command (idempotent), recorded once.
            let retry = try await LedgerBinary.run(Self.register("HH-7") + ["--format", "json"], environment: childEnvironment(db, user: lan))
            #expect(retry.status == 0 && retry.stdout.contains("\"already_recorded\" : true"), "\(retry)")

            // The raw id is nowhere: not in events, their metadata, command records or any output.
            let superuser = try await db.connect()
            let stored = try await superuser.queryOne(
                """
                SELECT (SELECT count(*) FROM ledger.events WHERE payload::text LIKE $1 OR metadata::text LIKE $1)
                     + (SELECT count(*) FROM ledger.commands WHERE command_id LIKE $1 OR result::text LIKE $1)
                """, ["%" + Self.id + "%"]
            ) { try $0.int64(0) }
            #expect(stored == 0)
            for run in [first, second, other, retry] {
                #expect(!run.stdout.contains(Self.id) && !run.stderr.contains(Self.id), "\(run)")
            }
            let audit = try await LedgerBinary.run(["audit", "verify"], environment: childEnvironment(db, user: try await TestDatabase.loginRole(memberOf: "ledger_auditor")))
            #expect(audit.status == 0, "\(audit)")
        }
    }

    @Test func aMalformedNationalIDIsRefusedWithoutBeingShown() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.migrated(db)
            let officer = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            let error = await #expect(throws: PostgresError.self) {
                _ = try await officer.query("SELECT ledger.national_id_fingerprint('09208000123x')") { _ in 0 }
            }
            #expect(error?.code.rawValue == "LN001" && error?.message == "national id: a national id is 9 or 12 ASCII digits and nothing else",
                    "\(String(describing: error))")
            let many = await #expect(throws: PostgresError.self) {
                _ = try await officer.query("SELECT ledger.national_id_fingerprints('{092080001234,٠٩٢٠٨٠٠٠١}')") { _ in 0 }
            }
            #expect(many?.message == "national id number 2 of 2: a national id is 9 or 12 ASCII digits and nothing else", "\(String(describing: many))")
        }
    }

    // MARK: What a client writes itself

    static func registration(_ beneficiary: String, fingerprint: String) -> String {
        """
        [{"stream_id": "beneficiary-\(beneficiary)", "expected_version": "no_stream", "events": [{"type": "BeneficiaryRegistered",
          "schema_version": 1, "payload": {"beneficiary_id": "\(beneficiary)", "kind": "household", "name": "Hộ \(beneficiary)",
          "district": "ninh-kieu", "categories": ["poor"], "national_id_fingerprint": "\(fingerprint)"}}]}]
        """
    }

    /// An officer with psql: fingerprints of their own making are refused, however they were made.
    @Test func anOfficerWithPsqlCannotAppendAFingerprintTheDatabaseDidNotIssue() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.migrated(db)
            let admin = LedgerService(connection: try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin")))
            _ = try await admin.setNationalIDKey(Array(Self.key.utf8), checking: [])
            let officer = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            let nationalID = try NationalID(parsing: Self.id)

            let oldLocalKey = try nationalID.fingerprint(keyBytes: Array(NationalIDKeyTests.otherKey.utf8))
            let madeUp = String(repeating: "ab", count: 32)
            // Even the right value, computed outside the database or asked for in another transaction.
            let right = try nationalID.fingerprint(keyBytes: Array(Self.key.utf8))
            _ = try await officer.query("SELECT ledger.issue_national_id_fingerprints('{\(Self.id)}')") { _ in 0 }
            for (label, fingerprint) in [("old local key", oldLocalKey), ("made up", madeUp), ("right, not issued here", right)] {
                let error = await #expect(throws: PostgresError.self, "\(label)") {
                    _ = try await officer.query("SELECT ledger.append($1, $2::jsonb)", ["psql-" + label.replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: ",", with: ""), Self.registration("HH-7", fingerprint: fingerprint)]) { _ in 0 }
                }
                #expect(error?.code.rawValue == "LR001", "\(label): \(String(describing: error))")
                #expect(error?.message.contains("national_id_fingerprint was not computed by the database in this transaction") == true,
                        "\(label): \(String(describing: error))")
            }
            // Issued in the appending transaction: accepted.
            let appended = try await officer.queryOne(
                """
                WITH issued AS MATERIALIZED (SELECT ledger.issue_national_id_fingerprints($3::text[]))
                SELECT ledger.append($1, $2::jsonb)::text FROM issued
                """, ["psql-issued", Self.registration("HH-7", fingerprint: right), "{\(Self.id)}"]
            ) { try $0.string(0) }
            #expect(appended.contains("\"first_position\": 2"), "\(appended)")
            // Issued for one id, used for another's made-up fingerprint: refused.
            let error = await #expect(throws: PostgresError.self) {
                _ = try await officer.query(
                    """
                    WITH issued AS MATERIALIZED (SELECT ledger.issue_national_id_fingerprints($3::text[]))
                    SELECT ledger.append($1, $2::jsonb) FROM issued
                    """, ["psql-swapped", Self.registration("HH-8", fingerprint: madeUp), "{381234567}"]
                ) { _ in 0 }
            }
            #expect(error?.code.rawValue == "LR001", "\(String(describing: error))")
        }
    }
}

/// Migrates a database of its own from the first migration: `make test` runs it in its serial
/// phase (Makefile, FROM_SCRATCH), since migrations change the cluster's shared roles.
@Suite(.enabled(if: TestDatabase.enabled))
struct NationalIDKeyUpgradeTests {
    // MARK: Upgrading a ledger fingerprinted with LEDGER_NATIONAL_ID_KEY

    @Test func aLedgerFingerprintedWithTheOldLocalKeyKeepsWorkingOnceTheAdminLoadsThatKey() async throws {
        // The test roles exist once the shared template is migrated: migrating a database of our own
        // only after that keeps the two migrations' role statements from racing on the same roles.
        _ = try await TestDatabase.loginRole(memberOf: "ledger_officer")
        _ = try await TestDatabase.loginRole(memberOf: "ledger_admin")
        _ = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
        let name = TestDatabase.uniqueName("ledger_national_ids")
        let server = try await FreshDatabase(name: "postgres").connect()
        try await server.simpleQuery("CREATE DATABASE \(name)")
        do {
            try await Self.upgrade(FreshDatabase(name: name))
        } catch {
            try? await server.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            await server.close()
            throw error
        }
        try await server.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await server.close()
    }

    static func upgrade(_ db: FreshDatabase) async throws {

        // The release before: the officer's machine fingerprinted with LEDGER_NATIONAL_ID_KEY.
        let superuser = try await db.connect()
        let bundled = try Migration.bundled()
        _ = try await Migrator(connection: superuser, migrations: bundled.filter { $0.version <= 13 }).migrate()
        let officer = try await TestDatabase.loginRole(memberOf: "ledger_officer")
        let officerConnection = try await db.connect(user: officer)
        let oldFingerprint = try NationalID(parsing: NationalIDKeyTests.id).fingerprint(keyBytes: Array(NationalIDKeyTests.key.utf8))
        _ = try await officerConnection.query("SELECT ledger.append($1, $2::jsonb)", ["old-path", NationalIDKeyTests.registration("HH-1", fingerprint: oldFingerprint)]) { _ in 0 }
        await officerConnection.close()

        // This release.
        _ = try await Migrator(connection: superuser, migrations: bundled).migrate()
        let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
        let before = try await NationalIDKeyTests.head(db)
        let keyless = try await LedgerBinary.run(NationalIDKeyTests.register("HH-2"), environment: childEnvironment(db, user: officer))
        #expect(keyless.status == 1 && keyless.stderr.contains("ledger national-id key set --key-file FILE"), "\(keyless)")

        // The key alone cannot be checked against the log: the admin names a registered person.
        let unchecked = try await NationalIDKeyTests.setKey(db, Array(NationalIDKeyTests.key.utf8), user: admin)
        #expect(unchecked.status == 1, "\(unchecked)")
        #expect(unchecked.stderr == """
            ledger: error: key: the log already holds 1 national-id fingerprints made with the key used before \
            (LEDGER_NATIONAL_ID_KEY); give the national ids of one or more registered beneficiaries \
            (--check-national-id-stdin) so the ledger can check that this key reproduces them

            """, "\(unchecked)")
        // A key one letter off does not reproduce the fingerprint: refused.
        let wrong = try await NationalIDKeyTests.setKey(db, Array(NationalIDKeyTests.otherKey.utf8), user: admin, checks: NationalIDKeyTests.id + "\n")
        #expect(wrong.status == 1, "\(wrong)")
        #expect(wrong.stderr.contains("key: check national id number 1 of 1 does not fingerprint, under this key, to any registered beneficiary's"), "\(wrong)")
        let badCheck = try await NationalIDKeyTests.setKey(db, Array(NationalIDKeyTests.key.utf8), user: admin, checks: "09208000123\n")
        #expect(badCheck.status == 64 && badCheck.stderr.contains("--check-national-id-stdin line 1: has 11 digits"), "\(badCheck)")
        #expect(try await NationalIDKeyTests.head(db) == before)

        // The key the ledger was fingerprinted with, as `printf '%s' "$LEDGER_NATIONAL_ID_KEY" > FILE` writes it.
        let right = try await NationalIDKeyTests.setKey(db, Array(NationalIDKeyTests.key.utf8), user: admin, checks: "\n" + NationalIDKeyTests.id + "\n")
        #expect(right.status == 0, "\(right)")
        #expect(value(of: "fingerprints in the log", in: right.stdout) == "1" && value(of: "national ids checked", in: right.stdout) == "1", "\(right)")
        for run in [unchecked, wrong, right] {
            #expect(!run.stdout.contains(NationalIDKeyTests.id) && !run.stderr.contains(NationalIDKeyTests.id), "\(run)")
        }

        // The same person again: a duplicate. Another person: registered.
        let duplicate = try await LedgerBinary.run(NationalIDKeyTests.register("HH-2"), environment: childEnvironment(db, user: officer))
        #expect(duplicate.status == 1 && duplicate.stderr == "ledger: error: a beneficiary with this national id is already registered (beneficiary-HH-1)\n", "\(duplicate)")
        let another = try await LedgerBinary.run(NationalIDKeyTests.register("HH-3", nationalID: "381234567"), environment: childEnvironment(db, user: officer))
        #expect(another.status == 0, "\(another)")
        let audit = try await LedgerBinary.run(["audit", "verify"], environment: childEnvironment(db, user: try await TestDatabase.loginRole(memberOf: "ledger_auditor")))
        #expect(audit.status == 0, "\(audit)")
        await superuser.close()
    }
}

/// Officers registering at the same moment, each issued fingerprints in their own transaction.
@Suite(.enabled(if: TestDatabase.enabled))
struct NationalIDConcurrencyTests {
    @Test func concurrentRegistrationsEachGetTheirOwnFingerprintAndTheSamePersonOnlyOnce() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = LedgerService(connection: try await db.connect())
            _ = try await superuser.loadCatalog(SampleCatalog.json)
            _ = try await superuser.setNationalIDKey(Array(NationalIDKeyTests.key.utf8), checking: [])
            var officers: [LedgerService] = []
            for index in 0..<6 {
                officers.append(LedgerService(connection: try await db.connect(user: try await TestDatabase.loginRole("concurrent\(index)", memberOf: ["ledger_officer"]))))
            }
            let services = officers
            // Each officer registers two people of their own and tries the same shared one.
            let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for (index, officer) in services.enumerated() {
                    group.addTask {
                        for (suffix, digits) in [("a", String(format: "0920800%05d", index)), ("b", String(format: "38100%04d", index))] {
                            _ = try await officer.registerBeneficiary(
                                RegisterBeneficiary(id: "HH-\(index)\(suffix)", kind: .household, name: "Hộ \(index)\(suffix)",
                                                    district: .ninhKieu, categories: ["poor"], bankAccount: nil),
                                nationalID: try NationalID(parsing: digits)
                            )
                        }
                        do {
                            _ = try await officer.registerBeneficiary(
                                RegisterBeneficiary(id: "HH-shared-\(index)", kind: .household, name: "Hộ chung", district: .ninhKieu,
                                                    categories: ["poor"], bankAccount: nil),
                                nationalID: try NationalID(parsing: "079123456789")
                            )
                            return ("HH-shared-\(index)", true)
                        } catch let error as DomainError where error.code == .duplicateNationalID {
                            return ("HH-shared-\(index)", false)
                        }
                    }
                }
                var all: [(String, Bool)] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter(\.1).count == 1, "\(outcomes)")
            let registered = try await db.connect().queryOne("SELECT count(*) FROM ledger.national_ids") { try $0.int64(0) }
            #expect(registered == 13)
        }
    }
}
