import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Recording times as people in Vietnam read them (issue 12): shown in Asia/Ho_Chi_Minh with the
/// offset (`2026-12-06 21:14:39.228030+07:00`), RFC 3339 in JSON and CSV
/// (`2026-12-06T21:14:39.228030+07:00`), and a date-only `replay --as-of` is the end of that day in
/// Vietnam. PostgreSQL's own conversion (`AT TIME ZONE 'Asia/Ho_Chi_Minh'`) is the reference.
@Suite(.enabled(if: TestDatabase.enabled))
struct RecordingTimeTests {
    /// RFC 3339 with six decimals and Vietnam's offset.
    static func isRFC3339(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+07:00/#) != nil
    }

    /// Each event's recording time as stored (UTC) and as PostgreSQL writes it in Vietnam's zone,
    /// for people (`… HH:MM:SS.ffffff+07:00`) and for JSON (`…THH:MM:SS.ffffff+07:00`).
    struct Recorded: Sendable {
        let position: Int64
        let utc: String
        let display: String
        let json: String
        let vietnamDate: String
        let vietnamWallClock: String
        let vietnamWallClockMinusOne: String
    }

    static func recorded(_ db: FreshDatabase) async throws -> [Recorded] {
        try await db.connect().query("""
            SELECT position,
                   to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
                   to_char(recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD HH24:MI:SS.US') || '+07:00',
                   to_char(recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+07:00',
                   to_char(recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
                   to_char(recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD HH24:MI:SS.US'),
                   to_char((recorded_at - interval '1 microsecond') AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD HH24:MI:SS.US')
            FROM ledger.events ORDER BY position
            """) { row in
            Recorded(position: try row.int64(0), utc: try row.string(1), display: try row.string(2), json: try row.string(3),
                     vietnamDate: try row.string(4), vietnamWallClock: try row.string(5), vietnamWallClockMinusOne: try row.string(6))
        }
    }

    @Test func eventsHistoryAndStatusShowVietnamTimeWithTheOffset() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            #expect(try await ledger("projections", "run", in: db).status == 0)
            let events = try await Self.recorded(db)
            #expect(events.count >= 3)

            let table = try await ledger("events", "list", in: db)
            #expect(table.status == 0, "\(table)")
            for event in events {
                #expect(table.stdout.contains(event.display), "position \(event.position): \(event.display)\n\(table.stdout)")
                #expect(!table.stdout.contains(event.utc), "the UTC wall clock \(event.utc) is not what people are shown")
            }
            #expect(!table.stdout.contains("+00\n") && !table.stdout.contains("+00 "), "\(table.stdout)")

            let history = try await ledger("audit", "history", "--stream", "application-A-1", in: db)
            #expect(history.status == 0, "\(history)")
            #expect(history.stdout.contains(events.last!.display), "\(history.stdout)")

            let status = try await ledger("status", in: db)
            #expect(value(of: "last recorded at", in: status.stdout) == events.last!.display, "\(status)")

            let show = try await ledger("application", "show", "A-1", in: db)
            #expect(show.status == 0, "\(show)")
            #expect(show.stdout.contains("(recorded \(events.last!.display))"), "\(show.stdout)")
        }
    }

    @Test func jsonAndCSVCarryRFC3339WithTheOffset() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            #expect(try await ledger("projections", "run", in: db).status == 0)
            let events = try await Self.recorded(db)

            let list = try await ledger("events", "list", "--format", "json", in: db)
            #expect(list.status == 0, "\(list)")
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            #expect(decoded.count == events.count)
            for (object, event) in zip(decoded, events) {
                let text = try #require(object["recorded_at"] as? String)
                #expect(Self.isRFC3339(text), "\(text)")
                #expect(text == event.json)
            }

            let status = try await ledger("status", "--format", "json", in: db)
            let parsed = try JSONDecoder().decode(StatusOutput.self, from: Data(status.stdout.utf8))
            #expect(parsed.lastRecordedAt == events.last!.json)

            let history = try await ledger("audit", "history", "--stream", "application-A-1", "--format", "json", in: db)
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
            #expect(entries.first?["recorded_at"] as? String == events.last!.json, "\(history.stdout)")

            let show = try await ledger("application", "show", "A-1", "--format", "json", in: db)
            #expect(show.status == 0, "\(show)")
            let detail = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
            let application = try #require(detail["application"] as? [String: Any], "\(show.stdout)")
            #expect(application["submitted_at"] as? String == events.last!.json, "\(show.stdout)")

            let csv = try await ledger("application", "show", "A-1", "--format", "csv", in: db)
            #expect(csv.status == 0, "\(csv)")
            #expect(csv.stdout.contains(events.last!.json), "\(csv.stdout)")

            let projections = try await ledger("projections", "status", "--format", "json", in: db)
            let statuses = try #require(try JSONSerialization.jsonObject(with: Data(projections.stdout.utf8)) as? [[String: Any]], "\(projections)")
            #expect(!statuses.isEmpty && statuses.allSatisfy { Self.isRFC3339($0["updated_at"] as? String) }, "\(projections.stdout)")
            let projectionTable = try await ledger("projections", "status", in: db)
            #expect(projectionTable.stdout.contains("+07:00"), "\(projectionTable.stdout)")

            let migrations = try await ledger("migrate", "--list", "--format", "json", in: db)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(migrations.stdout.utf8)) as? [[String: Any]], "\(migrations)")
            #expect(rows.allSatisfy { Self.isRFC3339($0["applied_at"] as? String) }, "\(migrations.stdout)")
        }
    }

    @Test func theAuditExportAndDigestWriteRFC3339() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let events = try await Self.recorded(db)
            try await withScratchFolder { folder in
                let file = folder.appendingPathComponent("export.ndjson")
                let export = try await ledger("audit", "export", "--out", file.path, in: db)
                #expect(export.status == 0, "\(export)")
                let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
                #expect(lines.count == events.count)
                for (line, event) in zip(lines, events) {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    #expect(object["recorded_at"] as? String == event.json, "\(line)")
                }
                let digest = try await ledger("audit", "digest", in: db)
                let document = try #require(try JSONSerialization.jsonObject(with: Data(digest.stdout.utf8)) as? [String: Any], "\(digest)")
                let takenAt = try #require(document["taken_at"] as? String)
                #expect(Self.isRFC3339(takenAt), "\(takenAt)")
            }
        }
    }

    @Test func replayAsOfReadsDatesAndTimesInVietnam() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let events = try await Self.recorded(db)
            let last = events.last!
            let before = events[events.count - 2]

            // A date alone: through the end of that day in Vietnam, in either form of the date.
            let vietnamDay = last.vietnamDate
            let parts = vietnamDay.split(separator: "/")
            let iso = "\(parts[2])-\(parts[1])-\(parts[0])"
            let byDate = try await ledger("replay", "--as-of", vietnamDay, in: db)
            let byEndOfDay = try await ledger("replay", "--as-of", "\(iso)T23:59:59.999999+07:00", in: db)
            let byISODate = try await ledger("replay", "--as-of", iso, in: db)
            #expect(byDate.status == 0, "\(byDate)")
            #expect(byDate.stdout == byEndOfDay.stdout && byDate.stderr == byEndOfDay.stderr, "\(byDate)\n\(byEndOfDay)")
            #expect(byDate.stdout == byISODate.stdout)
            #expect(byDate.stderr.contains("folded to position \(last.position), recorded \(last.display)"), "\(byDate)")
            let unpadded = "\(Int(parts[0])!)/\(Int(parts[1])!)/\(parts[2])"
            let byUnpadded = try await ledger("replay", "--as-of", unpadded, in: db)
            #expect(byUnpadded.stdout == byDate.stdout && byUnpadded.stderr == byDate.stderr, "\(byUnpadded)")

            // A time without an offset is Vietnam time: the event's own wall clock includes it, a
            // microsecond earlier does not (read as UTC, both would include it: 7 hours later).
            let atWallClock = try await ledger("replay", "--as-of", last.vietnamWallClock, in: db)
            #expect(atWallClock.stderr.contains("folded to position \(last.position),"), "\(atWallClock)")
            let justBefore = try await ledger("replay", "--as-of", last.vietnamWallClockMinusOne, in: db)
            #expect(justBefore.stderr.contains("folded to position \(before.position),"), "\(justBefore)")
            // Z and an explicit offset still work.
            let utc = try await ledger("replay", "--as-of", last.utc.replacingOccurrences(of: " ", with: "T") + "Z", in: db)
            #expect(utc.stderr.contains("folded to position \(last.position),"), "\(utc)")
        }
    }

    @Test(arguments: [
        ("21/05/24", "two-digit year"),
        ("yesterday", "DD/MM/YYYY"),
        ("31/02/2024", "--as-of"),
        ("2024-05-21T25:00:00", "HH:MM:SS"),
    ])
    func malformedAsOfIsRefusedNamingTheFormsAndTheFlag(text: String, mentions: String) async throws {
        try await TestDatabase.withFresh { db in
            _ = try await ledger("migrate", in: db)
            let run = try await ledger("replay", "--as-of", text, in: db)
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("--as-of"), "\(run)")
            #expect(run.stderr.contains(mentions), "\(run)")
            #expect(run.stdout.isEmpty)
        }
    }
}
