import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// `ledger audit export` checked by the independent verifier (scripts/verify-export, Python's
/// standard library only), and `ledger audit history` as an auditor reads it.
@Suite(.enabled(if: TestDatabase.enabled))
struct AuditTrailTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `scripts/verify-export arguments…` with python3.
    static func verifyExport(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try script("verify-export", arguments)
    }

    /// Runs `scripts/NAME arguments…` with python3: its exit status and everything it printed.
    static func script(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot.appendingPathComponent("scripts/\(name)").path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Prepared like the disbursement tests, then the application approved and paid twice.
    static func paidLedger(_ db: FreshDatabase) async throws -> String {
        try await DisbursementCommandTests.prepared(db)
        let approver = try await TestDatabase.loginRole("trail", memberOf: ["ledger_approver"])
        let steps: [([String], String?)] = [
            (["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9", "--decided-on", "2024-03-10"], approver),
            (["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000", "--paid-on", "2024-03-15",
              "--method", "bank", "--voucher", "UNC-1"], nil),
            (["payment", "record", "--application", "A-1", "--payment-id", "P-2", "--amount", "1000000", "--paid-on", "2024-04-02",
              "--method", "cash", "--voucher", "PC-2"], nil),
        ]
        for (arguments, user) in steps {
            let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: user))
            #expect(run.status == 0, "\(run)")
        }
        return approver
    }

    @Test func anExportVerifiesIndependentlyAndAOneByteChangeFailsIt() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await Self.paidLedger(db)
            try await withScratchFolder { folder in
                let digest = folder.appendingPathComponent("digest.json").path
                let export = folder.appendingPathComponent("export.ndjson").path
                #expect(try await LedgerBinary.run(["audit", "digest", "--out", digest], environment: childEnvironment(db)).status == 0)
                let run = try await LedgerBinary.run(["audit", "export", "--out", export], environment: childEnvironment(db))
                #expect(run.status == 0, "\(run)")
                let head = try await EventStore(connection: try await db.connect()).digest()
                #expect(run.stderr.contains("positions 1–\(head.position)") && run.stderr.contains(head.hash), "\(run)")

                let intact = try Self.verifyExport([export, "--digest", digest])
                #expect(intact.status == 0, "\(intact.output)")
                #expect(intact.output.contains("intact: \(head.position) events") && intact.output.contains(head.hash), "\(intact.output)")

                // One byte of one payment amount changed (4000000 → 5000000): named by line and position.
                var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: export)))
                let needle = Array(#"amount_vnd\": 4000000"#.utf8)
                let at = try #require((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
                bytes[at + needle.count - 7] = UInt8(ascii: "5")
                let tampered = folder.appendingPathComponent("tampered.ndjson").path
                try Data(bytes).write(to: URL(fileURLWithPath: tampered))
                let position = try await db.connect().queryOne(
                    "SELECT position FROM ledger.events WHERE event_type = 'PaymentRecorded' AND payload ->> 'payment_id' = 'P-1'"
                ) { try $0.int64(0) }
                let caught = try Self.verifyExport([tampered])
                #expect(caught.status == 1, "\(caught.output)")
                #expect(caught.output.contains("position \(position): the event does not hash to its stored hash"), "\(caught.output)")

                // A line removed from the middle is a gap.
                var lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                lines.remove(at: 3)
                let gapped = folder.appendingPathComponent("gapped.ndjson").path
                try lines.joined(separator: "\n").write(toFile: gapped, atomically: true, encoding: .utf8)
                let gap = try Self.verifyExport([gapped])
                #expect(gap.status == 1 && gap.output.contains("position 5") && gap.output.contains("a gap"), "\(gap.output)")

                // A recording time changed by one second in its RFC 3339 text (`recorded_at_micros`,
                // the hashed one, left alone) no longer names the same instant: line and position named.
                var retimed = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let marker = "\"recorded_at\":\""
                let start = try #require(retimed[2].range(of: marker)).upperBound
                let secondDigit = retimed[2].index(start, offsetBy: 18)
                let digit = try #require(retimed[2][secondDigit].wholeNumberValue)
                retimed[2].replaceSubrange(secondDigit...secondDigit, with: String((digit + 1) % 10))
                let retimedPath = folder.appendingPathComponent("retimed.ndjson").path
                try retimed.joined(separator: "\n").write(toFile: retimedPath, atomically: true, encoding: .utf8)
                let moved = try Self.verifyExport([retimedPath])
                #expect(moved.status == 1, "\(moved.output)")
                #expect(moved.output.contains("NOT INTACT: line 3, position 3: recorded_at ")
                    && moved.output.contains("is not the instant of recorded_at_micros"), "\(moved.output)")

                // The file is never overwritten.
                let again = try await LedgerBinary.run(["audit", "export", "--out", export], environment: childEnvironment(db))
                #expect(again.status == 1 && again.stderr.contains("never overwritten"), "\(again)")
            }
        }
    }

    @Test func aPartialExportChainsFromItsFirstEventAndARewrittenHistoryFailsTheDigest() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await Self.paidLedger(db)
            try await withScratchFolder { folder in
                let digest = folder.appendingPathComponent("digest.json").path
                #expect(try await LedgerBinary.run(["audit", "digest", "--out", digest], environment: childEnvironment(db)).status == 0)
                let partial = folder.appendingPathComponent("partial.ndjson").path
                let run = try await LedgerBinary.run(["audit", "export", "--out", partial, "--from-position", "3"], environment: childEnvironment(db))
                #expect(run.status == 0, "\(run)")
                let check = try Self.verifyExport([partial, "--digest", digest])
                #expect(check.status == 0 && check.output.contains("positions 3-"), "\(check.output)")

                // A superuser edits the first payment with the triggers off and recomputes nothing:
                // the export carries the old hash, so the independent check names the event.
                try await tamper(db, "UPDATE ledger.events SET payload = jsonb_set(payload, '{amount_vnd}', '9000000') WHERE payload ->> 'payment_id' = 'P-1'")
                let after = folder.appendingPathComponent("after.ndjson").path
                #expect(try await LedgerBinary.run(["audit", "export", "--out", after], environment: childEnvironment(db)).status == 0)
                let failed = try Self.verifyExport([after, "--digest", digest])
                #expect(failed.status == 1 && failed.output.contains("does not hash to its stored hash"), "\(failed.output)")
            }
        }
    }

    @Test func anEventAppendedAroundTheRulesMakesVerifyNameTheRuleAndItsPosition() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await Self.paidLedger(db)
            let clean = try await LedgerBinary.run(["audit", "verify"], environment: childEnvironment(db))
            #expect(clean.status == 0 && clean.stdout.contains("all hold"), "\(clean)")

            // Straight through the append function, as a superuser with the rule triggers off (as a
            // ledger could hold it from before the database refused it): a third payment that takes
            // A-1 past its 10,000,000 ₫ approval, and a reservation with no approval behind it. The
            // hash chain is intact; the rules are not.
            let connection = try await db.connect()
            let version = try await EventStore(connection: connection).streamVersion("application-A-1")
            try await connection.simpleQuery("BEGIN; SET LOCAL session_replication_role = replica")
            _ = try await EventStore(connection: connection).append([
                StreamAppend(stream: "application-A-1", expectedVersion: .exactly(version), events: [try NewEvent(
                    type: "PaymentRecorded",
                    payloadJSON: #"{"payment_id": "P-X", "amount_vnd": 6000000, "paid_on": "2024-04-09", "method": "cash", "voucher": "PC-X"}"#
                )]),
                StreamAppend(stream: "budget-NQ12-HOUSING-2024-ninh-kieu", expectedVersion: .any, events: [try NewEvent(
                    type: "FundsReserved", payloadJSON: #"{"application_id": "A-X", "amount_vnd": 95000000}"#
                )]),
            ], commandID: "around-the-rules")
            try await connection.simpleQuery("COMMIT")
            let positions = try await connection.query(
                "SELECT position FROM ledger.events WHERE command_id = 'around-the-rules' ORDER BY position"
            ) { try $0.int64(0) }

            let run = try await LedgerBinary.run(["audit", "verify"], environment: childEnvironment(db))
            #expect(run.status == 2, "\(run)")
            #expect(run.stdout.contains("RULES BROKEN") && run.stdout.contains("2 broken"), "\(run)")
            #expect(run.stdout.contains("\(positions[0])  overpayment") && run.stdout.contains("11,000,000 ₫ paid out against 10,000,000 ₫ approved"), "\(run)")
            #expect(run.stdout.contains("\(positions[1])  unpaired") && run.stdout.contains("without the application's approval"), "\(run)")

            let json = try await LedgerBinary.run(["audit", "verify", "--format", "json"], environment: childEnvironment(db))
            struct Document: Decodable {
                let intact: Bool, rulesHold: Bool?
                enum CodingKeys: String, CodingKey { case intact, rulesHold = "rules_hold" }
            }
            let document = try JSONDecoder().decode(Document.self, from: Data(json.stdout.utf8))
            #expect(json.status == 2 && document.intact && document.rulesHold == false, "\(json)")
            let chainOnly = try await LedgerBinary.run(["audit", "verify", "--chain-only"], environment: childEnvironment(db))
            #expect(chainOnly.status == 0 && chainOnly.stdout.contains("not replayed"), "\(chainOnly)")
        }
    }

    @Test func historyShowsWhoDidWhatWhenForABeneficiaryAndForAStream() async throws {
        try await TestDatabase.withFresh { db in
            let approver = try await Self.paidLedger(db)
            let run = try await LedgerBinary.run(["audit", "history", "--beneficiary", "HH-1", "--format", "json"], environment: childEnvironment(db))
            #expect(run.status == 0, "\(run)")
            struct Entry: Decodable {
                let position: Int64, streamID: String, eventType: String, actor: String, command: String?, businessDate: String?
                enum CodingKeys: String, CodingKey {
                    case position, streamID = "stream_id", eventType = "event_type", actor, command, businessDate = "business_date"
                }
            }
            let entries = try JSONDecoder().decode([Entry].self, from: Data(run.stdout.utf8))
            #expect(entries.map(\.eventType) == [
                "BeneficiaryRegistered", "ApplicationSubmitted", "ApplicationApproved", "BenefitCommitted", "PaymentRecorded", "PaymentRecorded",
            ])
            #expect(entries.map(\.position) == entries.map(\.position).sorted(), "in position order")
            let approval = try #require(entries.first { $0.eventType == "ApplicationApproved" })
            #expect(approval.actor == approver && approval.command == "approve" && approval.businessDate == "2024-03-10")
            let payments = entries.filter { $0.eventType == "PaymentRecorded" }
            #expect(payments.map(\.businessDate) == ["2024-03-15", "2024-04-02"])
            #expect(payments.allSatisfy { $0.command == "payment" && $0.streamID == "application-A-1" })
            #expect(entries.first?.eventType == "BeneficiaryRegistered")

            let table = try await LedgerBinary.run(["audit", "history", "--stream", "application-A-1"], environment: childEnvironment(db))
            #expect(table.status == 0 && table.stdout.contains("2024-04-02 (paid_on)") && table.stdout.contains(approver), "\(table)")
            #expect(!table.stdout.contains("BeneficiaryRegistered"), "only the stream asked for")

            let nobody = try await LedgerBinary.run(["audit", "history", "--beneficiary", "NOBODY"], environment: childEnvironment(db))
            #expect(nobody.status == 1 && nobody.stderr.contains("NOBODY"), "\(nobody)")
            let both = try await LedgerBinary.run(["audit", "history", "--stream", "x", "--beneficiary", "y"], environment: childEnvironment(db))
            #expect(both.status == 64, "\(both)")
        }
    }
}
