import EventStore
import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

/// Runs the `ledger` binary against `database`, as the test superuser or as `user`.
func ledger(_ arguments: String..., in database: FreshDatabase, user: String? = nil) async throws -> LedgerRun {
    try await LedgerBinary.run(arguments, environment: childEnvironment(database, user: user))
}

/// The environment that points a `ledger` child process at `database` (or at another database
/// of the same server, `databaseName`), as the test superuser or as `user`.
func childEnvironment(_ database: FreshDatabase, user: String? = nil, databaseName: String? = nil) -> [String: String] {
    guard let databaseName else { return database.environment(user: user) }
    return FreshDatabase(name: databaseName).environment(user: user)
}

/// The value printed for `key` by a `key: value` listing (`status`, `audit verify` in table format).
func value(of key: String, in output: String) -> String? {
    for line in output.split(separator: "\n") where line.hasPrefix(key + ":") {
        return line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// `ledger status --format json`.
struct StatusOutput: Decodable {
    let headPosition: Int64
    let headHash: String
    let events: Int64
    let streams: Int64
    let lastRecordedAt: String?

    enum CodingKeys: String, CodingKey {
        case headPosition = "head_position", headHash = "head_hash", events, streams, lastRecordedAt = "last_recorded_at"
    }
}

/// `ledger audit verify --format json`.
struct VerifyOutput: Decodable {
    struct Problem: Decodable {
        let position: Int64
        let kind: String
        let message: String
    }

    let intact: Bool
    let eventsChecked: Int64
    let head: Digest
    let digest: Digest?
    let problem: Problem?

    enum CodingKeys: String, CodingKey {
        case intact, eventsChecked = "events_checked", head, digest, problem
    }
}

/// `ledger migrate --format json`.
struct MigrationOutput: Decodable {
    let version: Int
    let name: String
    let checksum: String
    let appliedAt: String?
    let appliedBy: String?

    enum CodingKeys: String, CodingKey {
        case version, name, checksum, appliedAt = "applied_at", appliedBy = "applied_by"
    }
}

func decode<T: Decodable>(_ type: T.Type, from run: LedgerRun) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(run.stdout.utf8))
    } catch {
        Issue.record("stdout is not the expected JSON: \(error)\n\(run)")
        throw error
    }
}

let genesisHash = String(repeating: "0", count: 64)

/// Appends `count` events to stream `note-1` through the library, as the superuser; command ids c-1, c-2, …
func appendNotes(_ count: Int, in database: FreshDatabase) async throws {
    let connection = try await database.connect()
    let store = EventStore(connection: connection)
    for index in 1...count {
        let event = try NewEvent(type: "NoteWritten", payloadJSON: #"{"amount": \#(index * 1_000_000), "note": "khoản \#(index)"}"#)
        _ = try await store.append([event], to: "note-1", expectedVersion: .exactly(Int64(index - 1)), commandID: "c-\(index)")
    }
    await connection.close()
}

/// Head position and number of events, read directly.
func headAndCount(_ database: FreshDatabase) async throws -> [Int64] {
    let connection = try await database.connect()
    let values = try await connection.queryOne("SELECT last_position, (SELECT count(*) FROM ledger.events) FROM ledger.head") { row in
        [try row.int64(0), try row.int64(1)]
    }
    await connection.close()
    return values
}

/// Runs SQL as the superuser with triggers disabled: what someone with full access could do to hide a change.
func tamper(_ database: FreshDatabase, _ sql: String) async throws {
    let connection = try await database.connect()
    try await connection.simpleQuery("SET session_replication_role = replica; " + sql)
    await connection.close()
}

// MARK: - migrate

@Suite(.enabled(if: TestDatabase.enabled))
struct MigrateCommandTests {
    /// A new, empty database next to `database`, dropped afterwards.
    static func withEmptyDatabase(_ database: FreshDatabase, _ body: ([String: String]) async throws -> Void) async throws {
        let admin = try await database.connect()
        let name = "ledger_cli_empty_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.simpleQuery("CREATE DATABASE \(name)")
        let environment = childEnvironment(database, databaseName: name)
        do {
            try await body(environment)
        } catch {
            try? await admin.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
        try await admin.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.close()
    }

    @Test func migrateTwiceAppliesEverythingThenNothing() async throws {
        let bundled = try Migration.bundled()
        try await TestDatabase.withFresh { database in
            try await Self.withEmptyDatabase(database) { environment in
                let first = try await LedgerBinary.run(["migrate"], environment: environment)
                #expect(first.status == 0, "\(first)")
                for migration in bundled {
                    #expect(first.stderr.contains("applied \(migration.name)"), "\(first)")
                }
                #expect(!first.stdout.contains("pending"), "\(first)")

                let second = try await LedgerBinary.run(["migrate"], environment: environment)
                #expect(second.status == 0, "\(second)")
                #expect(second.stderr.contains("nothing to apply: \(bundled.count) migrations already applied"), "\(second)")
                #expect(!second.stderr.contains("applied 0001"), "\(second)")

                let listed = try await LedgerBinary.run(["migrate", "--list", "--format", "json"], environment: environment)
                #expect(listed.status == 0, "\(listed)")
                let rows = try decode([MigrationOutput].self, from: listed)
                #expect(rows.map(\.name) == bundled.map(\.name))
                #expect(rows.map(\.checksum) == bundled.map(\.checksum))
                #expect(rows.allSatisfy { $0.appliedAt != nil && $0.appliedBy?.isEmpty == false })
            }
        }
    }

    @Test func migrateListShowsPendingMigrationsAndAppliesNothing() async throws {
        let bundled = try Migration.bundled()
        try await TestDatabase.withFresh { database in
            try await Self.withEmptyDatabase(database) { environment in
                let listed = try await LedgerBinary.run(["migrate", "--list", "--format", "json"], environment: environment)
                #expect(listed.status == 0, "\(listed)")
                let rows = try decode([MigrationOutput].self, from: listed)
                #expect(rows.map(\.version) == bundled.map(\.version))
                #expect(rows.allSatisfy { $0.appliedAt == nil && $0.appliedBy == nil })

                let table = try await LedgerBinary.run(["migrate", "--list"], environment: environment)
                #expect(table.status == 0, "\(table)")
                #expect(table.stdout.components(separatedBy: "pending").count - 1 == bundled.count, "\(table)")

                let status = try await LedgerBinary.run(["status"], environment: environment)
                #expect(status.status == 1, "the ledger schema should not exist yet: \(status)")
            }
        }
    }

    @Test func anAdminAndAnAuditorMayListTheAppliedMigrations() async throws {
        let bundled = try Migration.bundled()
        try await TestDatabase.withFresh { database in
            for group in ["ledger_admin", "ledger_auditor"] {
                let role = try await TestDatabase.loginRole(memberOf: group)
                let listed = try await LedgerBinary.run(["migrate", "--list", "--format", "json"], environment: childEnvironment(database, user: role))
                #expect(listed.status == 0, "\(group): \(listed)")
                let rows = try decode([MigrationOutput].self, from: listed)
                #expect(rows.map(\.version) == bundled.map(\.version) && rows.allSatisfy { $0.appliedAt != nil }, "\(group)")
            }
        }
    }

    @Test func migrateRefusesADatabaseFromANewerBinary() async throws {
        try await TestDatabase.withFresh { database in
            let connection = try await database.connect()
            try await connection.execute(
                "INSERT INTO ledger_meta.schema_migrations (version, name, checksum) VALUES (9999, '9999_future.sql', $1)",
                [String(repeating: "0", count: 64)]
            )
            await connection.close()
            let run = try await ledger("migrate", in: database)
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("9999_future.sql"), "\(run)")
            #expect(run.stderr.contains("use a newer binary"), "\(run)")
        }
    }
}

// MARK: - status and events

@Suite(.enabled(if: TestDatabase.enabled))
struct StatusAndEventsCommandTests {
    @Test func statusShowsTheHeadBeforeAndAfterAnAppend() async throws {
        try await TestDatabase.withFresh { database in
            let empty = try await ledger("status", "--format", "json", in: database)
            #expect(empty.status == 0, "\(empty)")
            let before = try decode(StatusOutput.self, from: empty)
            #expect(before.headPosition == 0)
            #expect(before.headHash == genesisHash)
            #expect(before.events == 0 && before.streams == 0)
            #expect(before.lastRecordedAt == nil)

            let append = try await ledger(
                "events", "append", "--stream", "note-1", "--type", "NoteWritten", "--payload", #"{"text": "xin chào"}"#,
                in: database
            )
            #expect(append.status == 0, "\(append)")
            #expect(value(of: "position", in: append.stdout) == "1", "\(append)")
            #expect(value(of: "stream version", in: append.stdout) == "1", "\(append)")

            let afterRun = try await ledger("status", "--format", "json", in: database)
            #expect(afterRun.status == 0, "\(afterRun)")
            let after = try decode(StatusOutput.self, from: afterRun)
            #expect(after.headPosition == 1)
            #expect(after.events == 1 && after.streams == 1)
            #expect(after.headHash.count == 64 && after.headHash != genesisHash)
            #expect(after.lastRecordedAt != nil)

            let table = try await ledger("status", in: database)
            #expect(value(of: "head position", in: table.stdout) == "1", "\(table)")
            #expect(value(of: "head hash", in: table.stdout) == after.headHash, "\(table)")
        }
    }

    @Test func appendedEventsAreListedWithPayloadAndActor() async throws {
        try await TestDatabase.withFresh { database in
            let writer = try await TestDatabase.loginRole(memberOf: "ledger_writer")
            let append = try await ledger(
                "events", "append", "--stream", "case-A1", "--type", "CaseOpened",
                "--payload", #"{"beneficiary": "Phạm Văn Bình", "amount_vnd": 15000000}"#, "--command-id", "cmd-1",
                in: database, user: writer
            )
            #expect(append.status == 0, "\(append)")
            #expect(value(of: "command id", in: append.stdout) == "cmd-1", "\(append)")

            let list = try await ledger("events", "list", in: database)
            #expect(list.status == 0, "\(list)")
            #expect(list.stdout.contains("case-A1"), "\(list)")
            #expect(list.stdout.contains("CaseOpened"), "\(list)")
            // Who did it comes from the connection, not from the client.
            #expect(list.stdout.contains(writer), "\(list)")

            let json = try await ledger("events", "list", "--format", "json", in: database)
            #expect(json.status == 0, "\(json)")
            let events = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            let event = try #require(events?.first, "\(json)")
            #expect(events?.count == 1)
            #expect(event["stream_id"] as? String == "case-A1")
            #expect((event["payload"] as? [String: Any])?["beneficiary"] as? String == "Phạm Văn Bình")

            // By command id: the command's events, or a line saying it is not recorded.
            let byCommand = try await ledger("events", "list", "--command-id", "cmd-1", in: database)
            #expect(byCommand.status == 0 && byCommand.stdout.contains("CaseOpened"), "\(byCommand)")
            let unknown = try await ledger("events", "list", "--command-id", "cmd-2", in: database)
            #expect(unknown.status == 0 && !unknown.stdout.contains("CaseOpened"), "\(unknown)")
            #expect(unknown.stderr.contains("no events under command id cmd-2: that command is not recorded"), "\(unknown)")
            for bad in [["--command-id", " "], ["--command-id", "cmd-1", "--stream", "case-A1"]] {
                let run = try await LedgerBinary.run(["events", "list"] + bad, environment: childEnvironment(database))
                #expect(run.status == 64 && run.stderr.contains("--command-id:") && run.stdout.isEmpty, "\(run)")
            }
        }
    }

    /// `events append` is the generic store's door, not a way around the domain: an event of a
    /// domain type must be one the code can read, and a domain stream takes only domain events.
    @Test(arguments: [
        (["--stream", "beneficiary-B1", "--type", "BeneficiaryRegistered", "--payload", #"{"a": 2}"#], "payload.a: unknown field"),
        (["--stream", "application-A1", "--type", "PaymentRecorded", "--schema-version", "99", "--payload", "{}"],
         "schema_version 99 of PaymentRecorded is unknown"),
        (["--stream", "application-A1", "--type", "CaseOpened", "--payload", "{}"], "application-A1 is a domain stream"),
    ])
    func anEventTheDomainCannotReadIsRefusedNamingThePayload(_ arguments: [String], _ expected: String) async throws {
        try await TestDatabase.withFresh { database in
            let writer = try await TestDatabase.loginRole(memberOf: "ledger_writer")
            let run = try await LedgerBinary.run(["events", "append"] + arguments, environment: childEnvironment(database, user: writer))
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("--payload:") && run.stderr.contains(expected), "\(run)")
            let list = try await ledger("events", "list", "--format", "json", in: database)
            let events = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any]
            #expect(events?.isEmpty == true, "nothing stored: \(list)")
        }
    }

    @Test func repeatingACommandIdAppendsNothingAndSaysSo() async throws {
        try await TestDatabase.withFresh { database in
            let arguments = ["events", "append", "--stream", "note-1", "--type", "NoteWritten", "--payload", #"{"n": 1}"#, "--command-id", "once"]
            let first = try await LedgerBinary.run(arguments, environment: childEnvironment(database))
            let second = try await LedgerBinary.run(arguments, environment: childEnvironment(database))
            #expect(first.status == 0, "\(first)")
            #expect(second.status == 0, "\(second)")
            #expect(second.stderr.contains("already recorded; nothing appended"), "\(second)")
            #expect(value(of: "position", in: second.stdout) == "1", "\(second)")
            #expect(try await headAndCount(database) == [1, 1])
        }
    }

    /// `events append --format json`.
    struct AppendOutput: Decodable {
        let commandID: String
        let position: Int64
        let streamVersion: Int64
        let replayed: Bool

        enum CodingKeys: String, CodingKey {
            case commandID = "command_id", position, streamVersion = "stream_version", replayed
        }
    }

    @Test func appendAsJSONReportsNumbersAndBooleans() async throws {
        try await TestDatabase.withFresh { database in
            let run = try await ledger(
                "events", "append", "--stream", "note-1", "--type", "NoteWritten", "--payload", "{}", "--command-id", "j-1",
                "--format", "json", in: database
            )
            #expect(run.status == 0, "\(run)")
            // Numbers and booleans as in `status --format json`, so scripts need no string parsing.
            let output = try decode(AppendOutput.self, from: run)
            #expect(output.commandID == "j-1")
            #expect(output.position == 1)
            #expect(output.streamVersion == 1)
            #expect(!output.replayed)
        }
    }

    static let refusedAppends: [(arguments: [String], mentions: [String])] = [
        (["--stream", "note-1", "--type", "NoteWritten", "--payload", "{not json"], ["--payload", "JSON"]),
        (["--stream", "note-1", "--type", "NoteWritten", "--payload", "[1, 2]"], ["--payload", "JSON object"]),
        (["--stream", "note-1", "--type", "NoteWritten", "--payload", "{}", "--expected-version", "sometimes"], ["--expected-version", "sometimes"]),
        (["--stream", "note-1", "--type", "NoteWritten", "--payload", "{}", "--expected-version=-1"], ["--expected-version", "-1"]),
        (["--stream", "bad stream!", "--type", "NoteWritten", "--payload", "{}"], ["stream", "bad stream!"]),
        (["--stream", "note-1", "--type", "Note Written", "--payload", "{}"], ["type", "Note Written"]),
        (["--stream", "note-1", "--type", "NoteWritten", "--payload", "{}", "--command-id", "no spaces allowed"], ["--command-id", "no spaces allowed"]),
    ]

    @Test(arguments: refusedAppends)
    func anInvalidAppendIsRefusedNamingTheProblemAndAppendsNothing(arguments: [String], mentions: [String]) async throws {
        try await TestDatabase.withFresh { database in
            let run = try await LedgerBinary.run(["events", "append"] + arguments, environment: childEnvironment(database))
            #expect(run.status != 0, "\(run)")
            for text in mentions {
                #expect(run.stderr.contains(text), "stderr should mention \(text): \(run)")
            }
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(try await headAndCount(database) == [0, 0])
        }
    }

    @Test func anExpectedVersionOnANewStreamIsAVersionConflict() async throws {
        try await TestDatabase.withFresh { database in
            let run = try await ledger(
                "events", "append", "--stream", "note-1", "--type", "NoteWritten", "--payload", "{}", "--expected-version", "5",
                in: database
            )
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("version conflict"), "\(run)")
            #expect(run.stderr.contains("note-1"), "\(run)")
            #expect(run.stderr.contains("expected 5"), "\(run)")
            #expect(try await headAndCount(database) == [0, 0])
        }
    }

    @Test func aRoleWithoutAppendRightsIsRefused() async throws {
        try await TestDatabase.withFresh { database in
            let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
            let run = try await ledger(
                "events", "append", "--stream", "note-1", "--type", "NoteWritten", "--payload", "{}", in: database, user: auditor
            )
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("permission"), "\(run)")
            #expect(try await headAndCount(database) == [0, 0])
            // Reading is allowed.
            let status = try await ledger("status", in: database, user: auditor)
            #expect(status.status == 0, "\(status)")
        }
    }

    @Test func aMissingRequiredOptionIsAUsageError() async throws {
        try await TestDatabase.withFresh { database in
            let run = try await ledger("events", "append", "--type", "NoteWritten", "--payload", "{}", in: database)
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("--stream"), "\(run)")
        }
    }

    static let everyCommand: [[String]] = [
        ["status"], ["migrate"], ["audit", "verify"], ["audit", "digest"], ["events", "list"],
        ["events", "append", "--stream", "note-1", "--type", "NoteWritten", "--payload", "{}"],
    ]

    @Test(arguments: everyCommand)
    func aRoleThatDoesNotExistIsAClearConnectionError(command: [String]) async throws {
        try await TestDatabase.withFresh { database in
            let run = try await LedgerBinary.run(command + ["--user", "nobody_by_this_name"], environment: childEnvironment(database))
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("cannot connect to PostgreSQL"), "\(run)")
            #expect(run.stderr.contains(#"role "nobody_by_this_name" does not exist"#), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
        }
    }
}

// MARK: - audit

@Suite(.enabled(if: TestDatabase.enabled))
struct AuditCommandTests {
    @Test func verifyPassesOnAnIntactLog() async throws {
        try await TestDatabase.withFresh { database in
            let empty = try await ledger("audit", "verify", in: database)
            #expect(empty.status == 0, "\(empty)")
            #expect(value(of: "result", in: empty.stdout) == "intact", "\(empty)")

            try await appendNotes(3, in: database)
            let table = try await ledger("audit", "verify", in: database)
            #expect(table.status == 0, "\(table)")
            #expect(value(of: "result", in: table.stdout) == "intact", "\(table)")
            #expect(value(of: "events checked", in: table.stdout) == "3", "\(table)")
            #expect(value(of: "head position", in: table.stdout) == "3", "\(table)")

            let json = try await ledger("audit", "verify", "--format", "json", in: database)
            #expect(json.status == 0, "\(json)")
            let verification = try decode(VerifyOutput.self, from: json)
            #expect(verification.intact)
            #expect(verification.eventsChecked == 3)
            #expect(verification.problem == nil)
        }
    }

    @Test func verifyNamesTheFirstTamperedPosition() async throws {
        try await TestDatabase.withFresh { database in
            try await appendNotes(3, in: database)
            try await tamper(database, #"UPDATE ledger.events SET payload = '{"amount": 1}' WHERE position = 2"#)

            let table = try await ledger("audit", "verify", in: database)
            #expect(table.status == 2, "\(table)")
            #expect(value(of: "result", in: table.stdout) == "NOT INTACT", "\(table)")
            #expect(value(of: "first bad position", in: table.stdout) == "2", "\(table)")
            #expect(value(of: "detail", in: table.stdout)?.contains("altered") == true, "\(table)")

            let json = try await ledger("audit", "verify", "--format", "json", in: database)
            #expect(json.status == 2, "\(json)")
            let verification = try decode(VerifyOutput.self, from: json)
            #expect(!verification.intact)
            #expect(verification.problem?.position == 2)
            #expect(verification.problem?.kind == "hashMismatch")
        }
    }

    @Test func aDigestTakenEarlierVerifiesLater() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { database in
                try await appendNotes(2, in: database)
                let file = folder.appendingPathComponent("digest-2.json").path
                let digest = try await ledger("audit", "digest", "--out", file, in: database)
                #expect(digest.status == 0, "\(digest)")
                #expect(digest.stderr.contains("digest of position 2 written to \(file)"), "\(digest)")
                let saved = try JSONDecoder().decode(Digest.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
                let status = try decode(StatusOutput.self, from: try await ledger("status", "--format", "json", in: database))
                #expect(saved == Digest(position: 2, hash: status.headHash))

                let verify = try await ledger("audit", "verify", "--digest", file, in: database)
                #expect(verify.status == 0, "\(verify)")
                #expect(value(of: "digest", in: verify.stdout) == "position 2 matches", "\(verify)")

                // The log grows; the old digest still proves the history it covers.
                let connection = try await database.connect()
                _ = try await EventStore(connection: connection).append(
                    [try NewEvent(type: "NoteWritten", payloadJSON: "{}")], to: "note-2", expectedVersion: .noStream, commandID: "later"
                )
                await connection.close()
                let later = try await ledger("audit", "verify", "--digest", file, "--format", "json", in: database)
                #expect(later.status == 0, "\(later)")
                let verification = try decode(VerifyOutput.self, from: later)
                #expect(verification.intact && verification.head.position == 3 && verification.digest?.position == 2)
            }
        }
    }

    @Test func aDigestPrintedToStdoutIsTheHead() async throws {
        try await TestDatabase.withFresh { database in
            try await appendNotes(1, in: database)
            let run = try await ledger("audit", "digest", in: database)
            #expect(run.status == 0, "\(run)")
            let digest = try decode(Digest.self, from: run)
            let status = try decode(StatusOutput.self, from: try await ledger("status", "--format", "json", in: database))
            #expect(digest == Digest(position: 1, hash: status.headHash))
        }
    }

    @Test func aDigestDetectsRemovedEventsThatPlainVerifyCannotSee() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { database in
                try await appendNotes(3, in: database)
                let file = folder.appendingPathComponent("digest-3.json").path
                let digest = try await ledger("audit", "digest", "--out", file, in: database)
                #expect(digest.status == 0, "\(digest)")

                // Remove the newest event and rewind everything that pointed at it, consistently.
                try await tamper(database, """
                    DELETE FROM ledger.events WHERE position = 3;
                    DELETE FROM ledger.commands WHERE command_id = 'c-3';
                    UPDATE ledger.streams SET version = 2, updated_position = 2 WHERE stream_id = 'note-1';
                    UPDATE ledger.head SET last_position = 2, last_hash = (SELECT hash FROM ledger.events WHERE position = 2);
                    \(TestDatabase.rebuildMerkleTreeSQL)
                    """)

                let plain = try await ledger("audit", "verify", in: database)
                #expect(plain.status == 0, "the chain itself is consistent again: \(plain)")
                #expect(value(of: "events checked", in: plain.stdout) == "2", "\(plain)")

                let withDigest = try await ledger("audit", "verify", "--digest", file, in: database)
                #expect(withDigest.status == 2, "\(withDigest)")
                #expect(value(of: "result", in: withDigest.stdout) == "NOT INTACT", "\(withDigest)")
                #expect(withDigest.stdout.contains("events were removed"), "\(withDigest)")

                let json = try await ledger("audit", "verify", "--digest", file, "--format", "json", in: database)
                #expect(json.status == 2, "\(json)")
                #expect(try decode(VerifyOutput.self, from: json).problem?.kind == "digestBeyondHead")
            }
        }
    }

    @Test func aDigestDetectsRewrittenHistory() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { database in
                try await appendNotes(2, in: database)
                let file = folder.appendingPathComponent("digest.json").path
                #expect(try await ledger("audit", "digest", "--out", file, in: database).status == 0)

                // Rewrite event 1 and re-chain everything after it, so the chain alone looks intact.
                try await tamper(database, """
                    UPDATE ledger.events SET payload = '{"amount": 1}' WHERE position = 1;
                    UPDATE ledger.events e SET hash = ledger.event_hash(e.prev_hash, ledger.event_canonical_text(
                        e.position, e.stream_id, e.stream_version, e.event_type, e.schema_version,
                        (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.payload, e.metadata)) WHERE position = 1;
                    UPDATE ledger.events SET prev_hash = (SELECT hash FROM ledger.events WHERE position = 1) WHERE position = 2;
                    UPDATE ledger.events e SET hash = ledger.event_hash(e.prev_hash, ledger.event_canonical_text(
                        e.position, e.stream_id, e.stream_version, e.event_type, e.schema_version,
                        (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.payload, e.metadata)) WHERE position = 2;
                    UPDATE ledger.head SET last_hash = (SELECT hash FROM ledger.events WHERE position = 2);
                    \(TestDatabase.rebuildMerkleTreeSQL)
                    """)

                let plain = try await ledger("audit", "verify", in: database)
                #expect(plain.status == 0, "the re-chained log is self-consistent: \(plain)")
                let withDigest = try await ledger("audit", "verify", "--digest", file, "--format", "json", in: database)
                #expect(withDigest.status == 2, "\(withDigest)")
                let verification = try decode(VerifyOutput.self, from: withDigest)
                #expect(verification.problem?.kind == "digestMismatch")
                #expect(verification.problem?.position == 2)
            }
        }
    }

    @Test func digestOutRefusesToOverwriteAFile() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { database in
                let file = folder.appendingPathComponent("kept.json").path
                try Data("an auditor's earlier digest\n".utf8).write(to: URL(fileURLWithPath: file))
                let run = try await ledger("audit", "digest", "--out", file, in: database)
                #expect(run.status != 0, "\(run)")
                #expect(run.stderr.contains("--out"), "\(run)")
                #expect(run.stderr.contains("already exists"), "\(run)")
                #expect(try String(contentsOfFile: file, encoding: .utf8) == "an auditor's earlier digest\n")
            }
        }
    }

    static let malformedDigests: [(content: String?, mentions: String)] = [
        ("this is not json", "not a digest file"),
        (#"{"position": 1}"#, "not a digest file"),
        (#"{"position": -1, "hash": "\#(String(repeating: "0", count: 64))"}"#, "position"),
        (#"{"position": 1, "hash": "xyz"}"#, "hash"),
        (#"{"position": 1, "hash": "\#(String(repeating: "g", count: 64))"}"#, "hash"),
        (nil, "cannot read"),
    ]

    @Test(arguments: malformedDigests)
    func aMalformedDigestFileIsAClearError(content: String?, mentions: String) async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { database in
                let file = folder.appendingPathComponent("digest.json").path
                if let content { try Data(content.utf8).write(to: URL(fileURLWithPath: file)) }
                let run = try await ledger("audit", "verify", "--digest", file, in: database)
                #expect(run.status != 0, "\(run)")
                #expect(run.status != 2, "a bad file is not an integrity problem: \(run)")
                #expect(run.stderr.contains("--digest"), "\(run)")
                #expect(run.stderr.contains(mentions), "\(run)")
                #expect(run.stdout.isEmpty, "\(run)")
            }
        }
    }
}
