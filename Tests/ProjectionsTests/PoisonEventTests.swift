import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// Events the code cannot read, stored as a ledger recorded before migration 0009 may hold them
/// (planted by the superuser with the triggers off): a projection that meets one stops at the
/// event before, naming the position and the problem, while the others reach the head; the
/// reports skip or refuse it with a message; nothing traps. (Before: `projections run` and
/// `--follow` stopped for good, exit 64; some variants trapped.)
@Suite(.enabled(if: TestDatabase.enabled))
struct PoisonEventTests {
    struct Poison: Sendable, CustomTestStringConvertible {
        let label: String
        let stream: String
        let type: String
        var schemaVersion = 1
        /// The payload as SQL (a jsonb expression).
        let payloadSQL: String
        /// What the message must say.
        let problem: String
        var testDescription: String { label }
    }

    static let payment = "'{\"payment_id\": \"P-9\", \"amount_vnd\": 1000, \"paid_on\": \"2024-03-15\", \"method\": \"bank\", \"voucher\": \"PC-9\"}'::jsonb"

    static let poisons: [Poison] = [
        Poison(label: "a payment without amount_vnd", stream: "application-A-1", type: "PaymentRecorded",
               payloadSQL: "\(payment) - 'amount_vnd'", problem: "amount_vnd"),
        Poison(label: "a payment of 2^63-1", stream: "application-A-1", type: "PaymentRecorded",
               payloadSQL: "jsonb_set(\(payment), '{amount_vnd}', '9223372036854775807')", problem: "9223372036854775807"),
        Poison(label: "a payment dated 2024-02-30", stream: "application-A-1", type: "PaymentRecorded",
               payloadSQL: "jsonb_set(\(payment), '{paid_on}', '\"2024-02-30\"')", problem: "2024-02-30"),
        Poison(label: "a payment of schema version 99", stream: "application-A-1", type: "PaymentRecorded", schemaVersion: 99,
               payloadSQL: payment, problem: "99"),
        Poison(label: "a payment with a 12,000-level nested key", stream: "application-A-1", type: "PaymentRecorded",
               payloadSQL: "(\(payment) || jsonb_build_object('deep', (repeat('[', 12000) || repeat(']', 12000))::jsonb))",
               problem: "PaymentRecorded"),
        Poison(label: "a payment of {\"a\":2}", stream: "application-A-1", type: "PaymentRecorded",
               payloadSQL: "'{\"a\": 2}'::jsonb", problem: "PaymentRecorded"),
        Poison(label: "an allocation of 2^63-1", stream: "budget-NQ12-HOUSING-2024-ninh-kieu", type: "BudgetAllocated",
               payloadSQL: """
                   '{"program": "NQ12-HOUSING", "fiscal_year": 2024, "district": "ninh-kieu", "amount_vnd": 9223372036854775807, "reference": "x"}'::jsonb
                   """, problem: "9223372036854775807"),
    ]

    /// A small ledger (a budget, an approved application, a payment), the runner caught up.
    static func ledger(_ database: FreshDatabase) async throws -> People {
        let people = try await People.make(database)
        _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 100_000_000, reference: "QĐ 1")
        try await people.approved("A-1", household: "HH-1", amount: 40_000_000)
        try await people.pay("A-1", "P-1", 10_000_000)
        _ = try await RunnerTests.runOnce(database)
        return people
    }

    /// Appends one event as the superuser with the triggers off (as a ledger recorded before
    /// migration 0009 may hold it); its position.
    static func plant(_ database: FreshDatabase, _ poison: Poison, commandID: String = "poison-1") async throws -> Int64 {
        let connection = try await database.connect()
        try await connection.simpleQuery("BEGIN; SET LOCAL session_replication_role = replica")
        let position = try await connection.queryOne("""
            SELECT (ledger.append($1, jsonb_build_array(jsonb_build_object(
                'stream_id', $2::text, 'expected_version', 'any',
                'events', jsonb_build_array(jsonb_build_object('type', $3::text, 'schema_version', $4::int, 'payload', \(poison.payloadSQL)))
            ))) ->> 'first_position')::bigint
            """, [commandID, poison.stream, poison.type, poison.schemaVersion]) { try $0.int64(0) }
        try await connection.simpleQuery("COMMIT")
        await connection.close()
        return position
    }

    static func ledger(_ database: FreshDatabase, _ arguments: String...) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: database.environment())
    }

    @Test(arguments: poisons)
    func aProjectionStopsBeforeAnEventItCannotReadAndTheOthersReachTheHead(_ poison: Poison) async throws {
        try await TestDatabase.withFresh { database in
            let people = try await Self.ledger(database)
            let position = try await Self.plant(database, poison)
            // Healthy events after it: a programme's budget elsewhere, a loan programme amended.
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .caiRang, amount: 5_000_000, reference: "QĐ 2")

            let run = try await Self.ledger(database, "projections", "run")
            #expect(run.status == 1, "\(poison.label): \(run)")
            #expect(run.stderr.contains("position \(position)"), "\(poison.label): \(run)")
            #expect(run.stderr.contains(poison.problem), "\(poison.label): \(run)")

            let connection = try await database.connect()
            let head = try await ReadSide.head(connection)
            let statuses = try await ProjectionStatus.all(connection)
            for status in statuses {
                let reads = try ProjectionCatalog.projection(named: status.projection).eventTypes.contains(poison.type)
                if reads {
                    #expect(status.position == position - 1, "\(poison.label): \(status)")
                    #expect(status.stalledAt == position, "\(poison.label): \(status)")
                    #expect(status.stalledReason?.contains(poison.problem) == true, "\(poison.label): \(status)")
                } else {
                    #expect(status.position == head, "\(poison.label): \(status)")
                    #expect(status.stalledAt == nil, "\(poison.label): \(status)")
                }
            }
            // `projections status` shows it stalled, with the reason.
            let status = try await Self.ledger(database, "projections", "status")
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("at \(position): position \(position) (\(poison.type))"), "\(status)")

            // Again: the same answer, nothing applied twice; a rebuild swaps in as of the event before.
            let again = try await Self.ledger(database, "projections", "run")
            #expect(again.status == 1 && again.stderr.contains("position \(position)"), "\(again)")
            let rebuild = try await Self.ledger(database, "projections", "rebuild")
            #expect(rebuild.status == 1 && rebuild.stderr.contains("position \(position)"), "\(rebuild)")
            #expect(try await ReadSide.checkpoints(connection) == Dictionary(uniqueKeysWithValues: statuses.map { ($0.projection, $0.position) }))

            // The reports do not trap: each answers; those folding the log leave the event out, naming it.
            for arguments in [["report", "budget"], ["report", "beneficiary", "HH-1"], ["report", "loans"], ["audit", "reconcile"]] {
                let report = try await LedgerBinary.run(arguments, environment: database.environment())
                #expect(report.status == 0, "\(poison.label): \(report)")
            }
            for arguments in [["report", "budget", "--as-of", "2024-12-31"], ["replay", "--until-position", String(head)]] {
                let report = try await LedgerBinary.run(arguments, environment: database.environment())
                #expect(report.status == 0, "\(poison.label): \(report)")
                #expect(report.stderr.contains("warning: left out position \(position) (\(poison.type))"), "\(poison.label): \(report)")
            }
            await connection.close()
        }
    }

    /// `{"a":2}` as a `BenefitCommitted`: no projection reads that type, so none stops; the
    /// run warns naming the position.
    @Test func anUnreadableEventNoProjectionReadsIsSkippedWithAWarning() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await Self.ledger(database)
            let position = try await Self.plant(database, Poison(
                label: "a commitment of {\"a\":2}", stream: "beneficiary-HH-9", type: "BenefitCommitted",
                payloadSQL: "'{\"a\": 2}'::jsonb", problem: "application_id"
            ))
            let run = try await Self.ledger(database, "projections", "run")
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.contains("skipped position \(position) (BenefitCommitted)"), "\(run)")
            let connection = try await database.connect()
            let head = try await ReadSide.head(connection)
            #expect(try await ReadSide.checkpoints(connection).values.allSatisfy { $0 == head })
            await connection.close()
        }
    }

    /// Two loans as a ledger before migration 0009 could hold them: settled with 41,250,000
    /// outstanding, and disbursed for 600 months with no overdue multiplier. `report loans`
    /// answers for everyone else, leaving out (and naming) a loan it cannot compute.
    /// (Before: both made `report loans` fail for everyone.)
    @Test func reportLoansAnswersDespiteLoansThatBreakTheRules() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await Self.ledger(database)
            func disbursed(_ loan: String, term: Int, multiplier: Int) -> Poison {
                Poison(label: loan, stream: "loan-\(loan)", type: "LoanDisbursed", payloadSQL: """
                    '{"loan_id": "\(loan)", "application_id": "A-\(loan)", "beneficiary_id": "P-\(loan)", "program": "NQ11-OVERSEAS-LOAN",
                      "principal_vnd": 41250000, "disbursed_on": "2024-02-01", "term_months": \(term), "instalment_months": 3,
                      "overdue_multiplier_percent": \(multiplier)}'::jsonb
                    """, problem: "")
            }
            _ = try await Self.plant(database, disbursed("L-1", term: 12, multiplier: 130), commandID: "loan-1")
            _ = try await Self.plant(database, disbursed("L-2", term: 12, multiplier: 130), commandID: "loan-2")
            _ = try await Self.plant(database, Poison(label: "settled", stream: "loan-L-2", type: "LoanSettled",
                                                      payloadSQL: "'{\"settled_on\": \"2024-03-01\"}'::jsonb", problem: ""), commandID: "loan-3")
            _ = try await Self.plant(database, disbursed("L-3", term: 600, multiplier: 0), commandID: "loan-4")
            let run = try await Self.ledger(database, "projections", "run")
            #expect(run.status == 0, "\(run)")
            for arguments in [["report", "loans", "--as-of", "2025-06-30"], ["report", "loans", "--as-of", "2024-02-15", "--format", "json"],
                              ["report", "loans", "--as-of", "2025-06-30", "--overdue"]] {
                let report = try await LedgerBinary.run(arguments, environment: database.environment())
                #expect(report.status == 0, "\(report)")
                #expect(report.stdout.contains("L-1"), "\(report)")
            }
            let statement = try await Self.ledger(database, "report", "beneficiary", "P-L-2")
            #expect(statement.status == 0, "\(statement)")
        }
    }

    /// `projections run --follow` meets a poison: it reports the stalled projection and keeps the
    /// others following the log.
    @Test func aFollowerKeepsTheHealthyProjectionsGoing() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await Self.ledger(database)
            let binary = try #require(LedgerBinary.url, "the ledger binary is built next to the tests")
            try await withScratchFolder { folder in
                let stderrURL = folder.appendingPathComponent("stderr")
                _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
                let process = Process()
                process.executableURL = binary
                process.arguments = ["projections", "run", "--follow", "--poll-ms", "200"]
                process.environment = database.environment()
                process.standardOutput = FileHandle.nullDevice
                process.standardError = try FileHandle(forWritingTo: stderrURL)
                try process.run()
                defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
                func messages() -> String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
                func wait(for text: String) async throws -> Bool {
                    let deadline = ContinuousClock.now + .seconds(20)
                    while ContinuousClock.now < deadline {
                        if messages().contains(text) { return true }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    return false
                }
                #expect(try await wait(for: "following"), "\(messages())")

                let position = try await Self.plant(database, Self.poisons[1])
                #expect(try await wait(for: "stopped before position \(position)"), "\(messages())")
                #expect(process.isRunning, "\(messages())")

                // The healthy projection follows on: the loan book's checkpoint reaches the new head.
                _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .caiRang, amount: 5_000_000, reference: "QĐ 2")
                let connection = try await database.connect()
                let head = try await ReadSide.head(connection)
                var caughtUp = false
                for _ in 0..<200 where !caughtUp {
                    try await Task.sleep(for: .milliseconds(50))
                    caughtUp = try await ReadSide.checkpoints(connection)["loan_book"] == head
                }
                #expect(caughtUp, "\(messages())")
                #expect(try await ReadSide.checkpoints(connection)["applications"] == position - 1)
                #expect(process.isRunning, "\(messages())")
                kill(process.processIdentifier, SIGTERM)
                let deadline = ContinuousClock.now + .seconds(20)
                while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                #expect(!process.isRunning)
                await connection.close()
            }
        }
    }
}
