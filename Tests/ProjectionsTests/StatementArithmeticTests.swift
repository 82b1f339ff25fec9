import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// Issue 8, "What an outside recomputation found": the amounts of the statement, the read models
/// and their JSON/CSV add up, and each word means one thing (docs/domain.md, "Words with one
/// meaning"): approved counts every approval, paid is net of reversals, released is what went
/// back, and approved − paid − loan principal − released = still payable ≥ 0.
@Suite(.enabled(if: TestDatabase.enabled))
struct StatementArithmeticTests {
    static func date(_ text: String) -> LocalDate { try! LocalDate(parsing: text, field: "date") }
    static let housing = "NQ12-HOUSING", water = "NQ12-WATER"

    /// H-1: A-1 (housing) approved 10,000,000 then withdrawn (10,000,000 released); A-2 (water)
    /// approved 5,000,000, paid 3,000,000 (P-1) and 1,000,000 (P-2), P-2 returned by the bank.
    @discardableResult
    static func withdrawnAfterApproval(_ database: FreshDatabase) async throws -> People {
        let people = try await People.make(database)
        for program in [housing, water] {
            _ = try await people.admin.allocateBudget(program: program, year: 2024, district: .ninhKieu, amount: 50_000_000, reference: "QĐ \(program)")
        }
        try await people.household("H-1")
        for (id, program, amount) in [("A-1", housing, VND(10_000_000)), ("A-2", water, 5_000_000)] {
            _ = try await people.officer.submitApplication(id: id, beneficiary: "H-1", program: program, amount: amount,
                                                           submittedOn: date("2024-03-01"), year: nil)
            _ = try await people.approver.approveApplication(id: id, amount: amount, decision: "QĐ \(id)", decidedOn: date("2024-03-10"))
        }
        _ = try await people.officer.withdrawApplication(id: "A-1", reason: "moved away", on: date("2024-03-20"))
        try await people.pay("A-2", "P-1", 3_000_000)
        try await people.pay("A-2", "P-2", 1_000_000)
        _ = try await people.officer.reversePayment(paymentID: "P-2", reason: "account closed", reversedOn: date("2024-03-25"))
        return people
    }

    static func ledger(_ database: FreshDatabase, _ arguments: [String]) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: database.environment())
    }

    /// The statement's totals add up; nil when they do, else what is wrong.
    static func problem(_ statement: BeneficiaryStatement) -> String? {
        let t = statement.totals
        let computed = t.approved - t.paid - t.loanPrincipal - t.released
        if computed != t.payable {
            return "\(statement.beneficiaryID): approved \(t.approved) − paid \(t.paid) − loan principal \(t.loanPrincipal) − released \(t.released) = \(computed), still payable says \(t.payable)"
        }
        if t.payable.isNegative || t.released > t.approved {
            return "\(statement.beneficiaryID): still payable \(t.payable), released \(t.released) of \(t.approved) approved"
        }
        return nil
    }

    @Test func anApplicationWithdrawnAfterApprovalCountsInApprovedAndInReleased() async throws {
        try await TestDatabase.withFresh { database in
            try await Self.withdrawnAfterApproval(database)
            let connection = try await database.connect()
            let statement = try await BeneficiaryStatement.load("H-1", connection)
            #expect(statement.totals.approved == 15_000_000)
            #expect(statement.totals.paid == 3_000_000)  // net of the reversal
            #expect(statement.totals.reversed == 1_000_000)
            #expect(statement.totals.released == 10_000_000)
            #expect(statement.totals.payable == 2_000_000)
            #expect(Self.problem(statement) == nil, "\(Self.problem(statement) ?? "")")
            #expect(statement.summary.contains { $0.0 == "paid (net of reversals)" && $0.1 == "3,000,000" })

            // The two read models say the same of the same applications.
            #expect(try await Self.ledger(database, ["projections", "run"]).status == 0)
            let balance = try #require(try await ReadSide.row(connection, "beneficiary_balances", where: "beneficiary_id = $1 AND program = $2", ["H-1", Self.housing]))
            let application = try #require(try await ReadSide.row(connection, "applications", where: "application_id = $1", ["A-1"]))
            #expect(balance["approved_vnd"] == "10000000" && application["approved_vnd"] == "10000000")
            #expect(balance["released_vnd"] == "10000000" && application["released_vnd"] == "10000000")
            #expect(balance["remaining_payable_vnd"] == "0")
            let water = try #require(try await ReadSide.row(connection, "beneficiary_balances", where: "beneficiary_id = $1 AND program = $2", ["H-1", Self.water]))
            let a2 = try #require(try await ReadSide.row(connection, "applications", where: "application_id = $1", ["A-2"]))
            #expect(water["paid_vnd"] == "3000000" && a2["paid_vnd"] == "3000000")
            #expect(water["reversed_vnd"] == "1000000" && a2["reversed_vnd"] == "1000000")
            #expect(water["remaining_payable_vnd"] == "2000000" && a2["remaining_payable_vnd"] == "2000000")

            // JSON and CSV carry the same figures.
            let json = try await Self.ledger(database, ["report", "beneficiary", "H-1", "--format", "json"])
            #expect(json.status == 0, "\(json)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let totals = try #require(object["totals"] as? [String: Any])
            #expect(totals["approved_vnd"] as? Int == 15_000_000 && totals["paid_vnd"] as? Int == 3_000_000)
            #expect(totals["released_vnd"] as? Int == 10_000_000 && totals["payable_vnd"] as? Int == 2_000_000)
            let csv = try await Self.ledger(database, ["report", "beneficiary", "H-1", "--format", "csv"])
            let csvRows = ReportTests.csvRows(csv.stdout)
            #expect(csvRows.first?[8] == "payable_vnd" && csvRows.last?[8] == "2000000", "\(csv)")

            // The check of the read models against the log agrees with the new meanings.
            let reconcile = try await Self.ledger(database, ["audit", "reconcile"])
            #expect(reconcile.status == 0, "\(reconcile)")
            await connection.close()
        }
    }

    /// A reversal on a closed application would leave still payable at zero while approved − paid
    /// − loan principal − released grew: the database refuses it (as Swift did), and `audit
    /// verify` names one recorded before the rule.
    @Test func aClosedApplicationsPaymentCannotBeReversedEvenByADirectAppend() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await Self.withdrawnAfterApproval(database)
            _ = try await people.officer.closeApplication(id: "A-2", on: Self.date("2024-04-30"))
            let reversal = """
                [{"stream_id": "application-A-2", "expected_version": "any", "events": [{"type": "PaymentReversed", "schema_version": 1,
                  "payload": {"payment_id": "P-1", "amount_vnd": 3000000, "reason": "returned late", "reversed_on": "2024-05-02"}}]}]
                """
            let connection = people.officer.store.connection
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["direct-reversal", reversal]) { try $0.string(0) }
                Issue.record("a reversal on a closed application was appended")
            } catch let error as PostgresError {
                #expect(error.code.rawValue == "LR001", "\(error)")
                #expect(error.message.contains("application A-2 is closed; only an approved, open application's payments can be reversed"), "\(error)")
            }
            let refused = await #expect(throws: DomainError.self) {
                _ = try await people.officer.reversePayment(paymentID: "P-1", reason: "returned late", reversedOn: Self.date("2024-05-02"))
            }
            #expect(refused?.code == .wrongStatus)

            // One recorded before the rule (planted past the triggers) is named by the audit.
            let planter = try await database.connect()
            try await planter.simpleQuery("BEGIN; SET LOCAL session_replication_role = replica")
            let planted = try await EventStore(connection: planter).append([StreamAppend(
                stream: StreamID("application-A-2"), expectedVersion: .any,
                events: [try NewEvent(type: "PaymentReversed", schemaVersion: 1, payloadJSON:
                    #"{"payment_id": "P-1", "amount_vnd": 3000000, "reason": "returned late", "reversed_on": "2024-05-02"}"#)]
            )], commandID: "planted-reversal")
            try await planter.simpleQuery("COMMIT")
            await planter.close()
            let audit = try await Self.ledger(database, ["audit", "verify"])
            #expect(audit.status == 2, "\(audit)")
            #expect(audit.stdout.contains("\(planted.firstPosition)") && audit.stdout.contains("payment P-1 reversed on application A-2, which is closed"), "\(audit)")
        }
    }

    @Test func aWrittenOffLoanIsNotCurrentInAnyFormat() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await ReportTests.scenario(database)
            _ = try await people.approver.writeOffLoan(loanID: "LOAN-1", reason: "emigrated for good", on: Self.date("2024-12-01"))
            #expect(try await Self.ledger(database, ["projections", "run"]).status == 0)

            let csv = try await Self.ledger(database, ["report", "loans", "--as-of", "2025-01-15", "--format", "csv"])
            #expect(csv.status == 0, "\(csv)")
            let rows = ReportTests.csvRows(csv.stdout)
            let header = try #require(rows.first)
            let loan = Dictionary(uniqueKeysWithValues: zip(header, try #require(rows.dropFirst().first)))
            #expect(loan["status"] == "written off")
            #expect(loan["arrears_bucket"] == "written off")
            #expect(loan["days_past_due"] == "")

            let json = try await Self.ledger(database, ["report", "loans", "--as-of", "2025-01-15", "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let line = try #require((object["loans"] as? [[String: Any]])?.first)
            #expect(line["arrears_bucket"] as? String == "written off")
            #expect(line["days_past_due"] is NSNull)
            #expect(object["as_of_source"] as? String == "--as-of")

            let table = try await Self.ledger(database, ["report", "loans", "--as-of", "2025-01-15"])
            #expect(!table.stdout.contains("current"), "\(table)")
            // Before the write-off it was an active loan in arrears, and says so.
            let before = try await Self.ledger(database, ["report", "loans", "--as-of", "2024-11-15", "--format", "json"])
            let beforeObject = try #require(try JSONSerialization.jsonObject(with: Data(before.stdout.utf8)) as? [String: Any])
            let beforeLine = try #require((beforeObject["loans"] as? [[String: Any]])?.first)
            #expect(beforeLine["status"] as? String == "active")
            #expect((beforeLine["days_past_due"] as? Int ?? 0) > 0)
        }
    }

    /// A seeded city year, recomputed from its read models and statements: every beneficiary's
    /// figures add up, and the applications and beneficiary_balances read models agree.
    @Test func everyBeneficiaryOfASeededLedgerAddsUp() async throws {
        try await TestDatabase.withFresh { database in
            let seed = try await Self.ledger(database, ["demo", "seed", "--seed", "11", "--beneficiaries", "300", "--workers", "4"])
            #expect(seed.status == 0, "\(seed)")
            #expect(try await Self.ledger(database, ["projections", "run"]).status == 0)
            let connection = try await database.connect()

            // Applications withdrawn after approval are there to be counted.
            let withdrawnAfterApproval = try await connection.queryOne(
                "SELECT count(*) FROM ledger_read.applications WHERE status = 'withdrawn' AND approved_vnd > 0"
            ) { try $0.int64(0) }
            #expect(withdrawnAfterApproval > 0)

            // Statements: every beneficiary's totals add up.
            let beneficiaries = try await connection.query(
                "SELECT payload ->> 'beneficiary_id' FROM ledger.events WHERE event_type = 'BeneficiaryRegistered' ORDER BY 1"
            ) { try $0.string(0) }
            #expect(beneficiaries.count >= 300)
            var statements: [BeneficiaryStatement] = []
            for id in beneficiaries { statements.append(try await BeneficiaryStatement.load(id, connection)) }
            let broken = statements.compactMap(Self.problem)
            #expect(broken.isEmpty, "\(broken.count) statements: \(broken.prefix(5))")

            // Read models: each balance row adds up, and equals the sum of its applications.
            let disagreements = try await connection.query("""
                WITH a AS (
                    SELECT beneficiary_id, program, sum(approved_vnd) AS approved, sum(paid_vnd) AS paid, sum(reversed_vnd) AS reversed,
                           sum(released_vnd) AS released, sum(remaining_payable_vnd) AS remaining, sum(loan_principal_vnd) AS principal
                    FROM ledger_read.applications GROUP BY 1, 2)
                SELECT b.beneficiary_id || ' ' || b.program FROM ledger_read.beneficiary_balances b
                LEFT JOIN a USING (beneficiary_id, program)
                WHERE b.approved_vnd - b.paid_vnd - b.principal_disbursed_vnd - b.released_vnd <> b.remaining_payable_vnd
                   OR b.remaining_payable_vnd < 0 OR b.released_vnd > b.approved_vnd
                   OR a.approved IS DISTINCT FROM b.approved_vnd OR a.paid IS DISTINCT FROM b.paid_vnd
                   OR a.reversed IS DISTINCT FROM b.reversed_vnd OR a.released IS DISTINCT FROM b.released_vnd
                   OR a.remaining IS DISTINCT FROM b.remaining_payable_vnd OR a.principal IS DISTINCT FROM b.principal_disbursed_vnd
                ORDER BY 1
                """) { try $0.string(0) }
            #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")

            // Each statement's totals equal the read models' sums for that beneficiary.
            let balances = try await connection.query("""
                SELECT beneficiary_id, sum(approved_vnd), sum(paid_vnd), sum(reversed_vnd), sum(released_vnd),
                       sum(remaining_payable_vnd), sum(principal_disbursed_vnd)
                FROM ledger_read.beneficiary_balances GROUP BY 1
                """) { row in
                (try row.string(0), [try row.int64(1), try row.int64(2), try row.int64(3), try row.int64(4), try row.int64(5), try row.int64(6)])
            }
            let byBeneficiary = Dictionary(uniqueKeysWithValues: balances)
            var problems: [String] = []
            for statement in statements {
                let t = statement.totals
                let fromStatement = [t.approved, t.paid, t.reversed, t.released, t.payable, t.loanPrincipal].map(\.amount)
                let fromReadModel = byBeneficiary[statement.beneficiaryID] ?? [0, 0, 0, 0, 0, 0]
                if fromStatement != fromReadModel {
                    problems.append("\(statement.beneficiaryID): statement \(fromStatement) ≠ beneficiary_balances \(fromReadModel)")
                }
            }
            #expect(problems.isEmpty, "\(problems.count) beneficiaries: \(problems.prefix(5))")
            await connection.close()
        }
    }
}

/// The same arithmetic folded without a database: the two read models agree on an application
/// withdrawn after approval, and each balance row adds up.
struct BalanceArithmeticTests {
    @Test func aWithdrawalAfterApprovalKeepsTheApprovalAndCountsTheRelease() throws {
        var history = FoldTests.housingHistory()
        let date = FoldTests.date
        history.add(Streams.application("A-4"), .applicationSubmitted(ApplicationSubmitted(
            applicationID: "A-4", beneficiaryID: "HH-2", program: "NQ12-HOUSING", district: .ninhKieu, fiscalYear: 2024,
            requestedVND: 100_000, submittedOn: date("2024-03-01"))), actor: "lan")
        history.add(Streams.application("A-4"), .applicationApproved(ApplicationApproved(
            approvedVND: 100_000, decisionReference: "QĐ A-4", decidedOn: date("2024-03-10"))), actor: "minh")
        history.add(Streams.application("A-4"), .applicationWithdrawn(ApplicationWithdrawn(
            reason: "moved away", withdrawnOn: date("2024-03-12"), releasedVND: 100_000)))

        let balances = try history.fold(BeneficiaryBalancesProjection.self).allRows()[0]
        let table = BeneficiaryBalancesProjection.tables[0]
        let household2 = try #require(balances.first { $0[0] == "HH-2" })
        func value(_ column: String) -> Int64 { Int64(FoldTests.value(household2, table, column) ?? "") ?? -1 }
        // A-2 approved 400,000 (its 150,000 payment returned), A-4 approved 100,000 and withdrawn.
        #expect(value("approved_vnd") == 500_000)
        #expect(value("paid_vnd") == 0 && value("reversed_vnd") == 150_000)
        #expect(value("released_vnd") == 100_000)
        #expect(value("remaining_payable_vnd") == 400_000)
        #expect(value("approved_vnd") - value("paid_vnd") - value("principal_disbursed_vnd") - value("released_vnd") == value("remaining_payable_vnd"))

        let applications = try history.fold(ApplicationsProjection.self).allRows()[0]
        let a4 = try #require(applications.first { $0[0] == "A-4" })
        #expect(FoldTests.value(a4, ApplicationsProjection.tables[0], "approved_vnd") == "100000")
        #expect(FoldTests.value(a4, ApplicationsProjection.tables[0], "released_vnd") == "100000")
    }
}
