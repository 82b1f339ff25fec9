import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// Reports and replay against a real PostgreSQL, on a small scenario driven through
/// `LedgerService`, checked against figures worked out by hand — through the library and
/// through the `ledger` binary as a user runs it.
@Suite(.enabled(if: TestDatabase.enabled))
struct ReportTests {
    static func date(_ text: String) -> LocalDate { try! LocalDate(parsing: text, field: "date") }

    static let housing = "NQ12-HOUSING", water = "NQ12-WATER", loans = "NQ11-OVERSEAS-LOAN"

    /// Budgets: housing 100,000,000 in Ninh Kiều and 50,000,000 in Cái Răng; water 20,000,000 and
    /// loans 300,000,000 in Ninh Kiều.
    /// - A-1 (household H-1, housing 40,000,000, approved 03-10): paid 25,000,000 on 03-15 and
    ///   10,000,000 on 04-20; the 10,000,000 returned by the bank on 04-25; closed on 05-31,
    ///   releasing 15,000,000.
    /// - A-2 (household H-2 in Cái Răng, housing 30,000,000, approved 03-12): paid 10,000,000 on 06-01.
    /// - A-3 (H-1, water 5,000,000, approved 03-10): paid in full on 07-01.
    /// - L-A (worker W-1, loan 100,000,000, approved 03-15): LOAN-1 disbursed 04-01 over 12 months
    ///   (quarterly instalments of 25,000,000); repaid 26,645,479 on 07-01 = 91 days' interest
    ///   at 6.6 % (100,000,000 × 0.066 × 91 / 365 = 1,645,479.45 → 1,645,479) + the first instalment.
    static func scenario(_ database: FreshDatabase) async throws -> People {
        let people = try await People.make(database)
        for (program, district, amount) in [(housing, District.ninhKieu, VND(100_000_000)), (housing, .caiRang, 50_000_000),
                                            (water, .ninhKieu, 20_000_000), (loans, .ninhKieu, 300_000_000)] {
            _ = try await people.admin.allocateBudget(program: program, year: 2024, district: district, amount: amount, reference: "QĐ \(program)")
        }
        for (id, kind, district, category) in [("H-1", BeneficiaryKind.household, District.ninhKieu, "poor"), ("H-2", .household, .caiRang, "poor"),
                                               ("W-1", .person, .ninhKieu, "rural-worker")] {
            _ = try await people.officer.registerBeneficiary(
                RegisterBeneficiary(id: id, kind: kind, name: "Người \(id)", district: district, categories: [category], bankAccount: "Agribank \(id)"),
                nationalID: nil
            )
        }
        for (id, beneficiary, program, amount) in [("A-1", "H-1", housing, VND(40_000_000)), ("A-2", "H-2", housing, 30_000_000),
                                                   ("A-3", "H-1", water, 5_000_000), ("L-A", "W-1", loans, 100_000_000)] {
            _ = try await people.officer.submitApplication(id: id, beneficiary: beneficiary, program: program, amount: amount,
                                                           submittedOn: date("2024-03-01"), year: nil)
        }
        for (id, amount, decided) in [("A-1", VND(40_000_000), "2024-03-10"), ("A-2", 30_000_000, "2024-03-12"),
                                      ("A-3", 5_000_000, "2024-03-10"), ("L-A", 100_000_000, "2024-03-15")] {
            _ = try await people.approver.approveApplication(id: id, amount: amount, decision: "QĐ \(id)", decidedOn: date(decided))
        }
        try await pay(people, "A-1", "P-1", 25_000_000, "2024-03-15")
        _ = try await people.officer.disburseLoan(application: "L-A", loanID: "LOAN-1", principal: 100_000_000,
                                                  disbursedOn: date("2024-04-01"), termMonths: 12)
        try await pay(people, "A-1", "P-2", 10_000_000, "2024-04-20")
        _ = try await people.officer.reversePayment(paymentID: "P-2", reason: "returned by the bank", reversedOn: date("2024-04-25"))
        _ = try await people.officer.closeApplication(id: "A-1", on: date("2024-05-31"))
        try await pay(people, "A-2", "P-3", 10_000_000, "2024-06-01")
        try await pay(people, "A-3", "P-4", 5_000_000, "2024-07-01")
        _ = try await people.officer.repayLoan(loanID: "LOAN-1", repaymentID: "R-1", amount: 26_645_479, paidOn: date("2024-07-01"))
        return people
    }

    static func pay(_ people: People, _ application: String, _ payment: String, _ amount: VND, _ paidOn: String) async throws {
        _ = try await people.officer.recordPayment(LedgerService.PaymentOrder(
            applicationID: application, paymentID: payment, amount: amount, paidOn: date(paidOn), method: .bank, voucher: "PC-\(payment)"
        ))
    }

    static func runProjections(_ database: FreshDatabase) async throws {
        let runner = try await ProjectionRunner.start(configuration: database.configuration())
        try await runner.catchUp()
        await runner.close()
    }

    static func figures(_ allocated: Int64, _ reserved: Int64, _ paid: Int64, _ released: Int64, lent: Int64 = 0) -> BudgetFigures {
        BudgetFigures(allocated: VND(allocated * 1_000_000), reserved: VND(reserved * 1_000_000), paid: VND(paid * 1_000_000),
                      lent: VND(lent * 1_000_000), released: VND(released * 1_000_000))
    }

    /// By hand, in millions: (programme, district) → allocated, reserved, paid, released (and lent).
    static let expectedFinal: [String: BudgetFigures] = [
        "\(housing) ninh-kieu": figures(100, 40, 25, 15),
        "\(housing) cai-rang": figures(50, 30, 10, 0),
        "\(water) ninh-kieu": figures(20, 5, 5, 0),
        "\(loans) ninh-kieu": figures(300, 100, 0, 0, lent: 100),  // a loan is lent, not paid
    ]

    static func keyed(_ report: BudgetReport) -> [String: BudgetFigures] {
        Dictionary(uniqueKeysWithValues: report.lines.map { ("\($0.program) \($0.district.code)", $0.figures) })
    }

    @Test func budgetReportsEqualHandComputedFiguresFromTheTableTheLogAndByBusinessDate() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await Self.scenario(database)
            let connection = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            let store = EventStore(connection: connection)

            // Before the runner has run, the table is empty and the lag says so.
            let (before, lagBefore) = try await BudgetReport.fromReadModel(connection)
            #expect(before.lines.isEmpty)
            #expect(lagBefore.events == lagBefore.headPosition && lagBefore.headPosition > 0)
            #expect(lagBefore.warning?.contains("behind the log") == true)

            try await Self.runProjections(database)
            let (report, lag) = try await BudgetReport.fromReadModel(connection)
            #expect(lag.warning == nil)
            #expect(Self.keyed(report) == Self.expectedFinal)
            #expect(report.lines.first { $0.program == Self.housing && $0.district == .ninhKieu }?.figures.available == 75_000_000)
            #expect(report.programTotals.first { $0.program == Self.housing }?.figures == Self.figures(150, 70, 35, 15))
            #expect(report.districtTotals.map(\.district) == [.caiRang, .ninhKieu])
            #expect(report.districtTotals[1].figures == Self.figures(420, 145, 30, 15, lent: 100))
            #expect(report.total == Self.figures(470, 175, 40, 15, lent: 100))
            #expect(report.total.available == 310_000_000)

            // The log folded to the head gives the same report, byte for byte in every form.
            let (replayed, point) = try await BudgetReport.replay(store, until: .head, pageSize: 7)
            #expect(point.position == lag.headPosition)
            #expect(replayed == report)

            // Business dates: after everything, the same figures; earlier, only what had happened.
            let farFuture = try await BudgetReport.asOfBusinessDate(Self.date("9999-12-31"), store, pageSize: 5)
            #expect(Self.keyed(farFuture) == Self.expectedFinal)
            let april22 = try await BudgetReport.asOfBusinessDate(Self.date("2024-04-22"), store)
            #expect(Self.keyed(april22) == [
                "\(Self.housing) ninh-kieu": Self.figures(100, 40, 35, 0),  // P-2 paid, not yet reversed; not closed
                "\(Self.housing) cai-rang": Self.figures(50, 30, 0, 0),
                "\(Self.water) ninh-kieu": Self.figures(20, 5, 0, 0),
                "\(Self.loans) ninh-kieu": Self.figures(300, 100, 0, 0, lent: 100),
            ])
            let march11 = try await BudgetReport.asOfBusinessDate(Self.date("2024-03-11"), store, filter: BudgetReportFilter(district: .caiRang))
            #expect(Self.keyed(march11) == ["\(Self.housing) cai-rang": Self.figures(50, 0, 0, 0)])  // approved on 03-12
            #expect(march11.businessDate == Self.date("2024-03-11"))
            await connection.close()
        }
    }

    @Test func theBeneficiaryStatementListsEveryStepWithRunningBalances() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await Self.scenario(database)
            let connection = try await database.connect()
            let household = try await BeneficiaryStatement.load("H-1", connection)
            #expect(household.name == "Người H-1")
            #expect(household.lines.map(\.event) == [
                "registered", "submitted", "submitted", "approved", "approved", "payment", "payment", "payment reversed", "closed", "payment",
            ])
            #expect(household.lines.map(\.payable.amount) == [
                0, 0, 0, 40_000_000, 45_000_000, 20_000_000, 10_000_000, 20_000_000, 5_000_000, 0,
            ])
            #expect(household.lines.map { $0.businessDate?.description ?? "-" } == [
                "-", "2024-03-01", "2024-03-01", "2024-03-10", "2024-03-10", "2024-03-15", "2024-04-20", "2024-04-25", "2024-05-31", "2024-07-01",
            ])
            #expect(household.lines.map(\.position) == household.lines.map(\.position).sorted())
            #expect(household.lines.allSatisfy { $0.recordedAtMicroseconds > 0 })
            // Paid is net of reversals: 25,000,000 + 10,000,000 − 10,000,000 returned + 5,000,000.
            #expect(household.totals.approved == 45_000_000 && household.totals.paid == 30_000_000)
            #expect(household.totals.reversed == 10_000_000 && household.totals.released == 15_000_000)

            let worker = try await BeneficiaryStatement.load("W-1", connection)
            #expect(worker.lines.map(\.event) == ["registered", "submitted", "approved", "loan disbursed", "loan repayment"])
            #expect(worker.lines.map(\.payable.amount) == [0, 0, 100_000_000, 0, 0])
            #expect(worker.lines.map(\.outstanding.amount) == [0, 0, 0, 100_000_000, 75_000_000])
            #expect(worker.lines.last?.amount == 26_645_479)
            #expect(worker.totals.interestRepaid == 1_645_479 && worker.totals.principalRepaid == 25_000_000)

            let missing = await #expect(throws: DomainError.self) { _ = try await BeneficiaryStatement.load("NOBODY", connection) }
            #expect(missing?.code == .unknownBeneficiary)
            await connection.close()
        }
    }

    @Test func theLoanReportComesFromTheLoanBookAsOfABusinessDate() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await Self.scenario(database)
            try await Self.runProjections(database)
            let connection = try await database.connect()

            // 2024-09-30: 75,000,000 outstanding; 91 days' interest on it since the repayment:
            // 75,000,000 × 0.066 × 91 / 365 = 1,234,109.59 → 1,234,110; nothing due yet.
            let september = try await LoanReport.load(asOf: Self.date("2024-09-30"), overdueOnly: false, connection).report
            let line = try #require(september.lines.first)
            #expect(september.lines.count == 1)
            #expect(line.loanID == "LOAN-1" && line.beneficiaryID == "W-1" && line.status == .active)
            #expect(line.principal == 100_000_000 && line.outstandingPrincipal == 75_000_000)
            #expect(line.accruedInterest == 1_234_110)
            #expect(line.daysPastDue == 0 && line.arrearsBucket == .current)
            #expect(try await LoanReport.load(asOf: Self.date("2024-09-30"), overdueOnly: true, connection).report.lines.isEmpty)

            // 2024-10-16: the second instalment (due 10-01) is 15 days past due.
            let october = try await LoanReport.load(asOf: Self.date("2024-10-16"), overdueOnly: true, connection).report
            #expect(october.lines.map(\.daysPastDue) == [15])
            #expect(october.lines.first?.arrearsBucket == .days1To30)
            #expect(october.lines.first?.overduePrincipal == 25_000_000)
            let position = try #require(try await LoanBook.position(loanID: "LOAN-1", asOf: Self.date("2024-10-16"), connection))
            #expect(october.lines.first?.accruedInterest == position.interestVND + position.overdueInterestVND)

            // 2024-06-30, before the repayment: the loan as it stood then, 90 days' interest on
            // 100,000,000: 6,600,000 × 90 / 365 = 1,627,397.26 → 1,627,397.
            let june = try await LoanReport.load(asOf: Self.date("2024-06-30"), overdueOnly: false, connection).report
            #expect(june.lines.first?.outstandingPrincipal == 100_000_000)
            #expect(june.lines.first?.accruedInterest == 1_627_397)
            // Before the disbursement, no loan.
            #expect(try await LoanReport.load(asOf: Self.date("2024-03-31"), overdueOnly: false, connection).report.lines.isEmpty)
            await connection.close()
        }
    }

    // MARK: The binary

    static func ledger(_ database: FreshDatabase, _ arguments: [String]) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: database.environment())
    }

    /// An instant now, from the database's clock, in UTC (`…Z`) and in Vietnam time (`…+07:00`).
    static func now(_ database: FreshDatabase) async throws -> (utc: String, vietnam: String) {
        let connection = try await database.connect()
        defer { Task { await connection.close() } }
        return try await connection.queryOne("""
            WITH t AS (SELECT clock_timestamp() AS at)
            SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   to_char((at AT TIME ZONE 'UTC') + interval '7 hours', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+07:00'
            FROM t
            """) { (try $0.string(0), try $0.string(1)) }
    }

    @Test func replayingAPastInstantShowsExactlyTheReportCapturedThen() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await Self.scenario(database)
            #expect(try await Self.ledger(database, ["projections", "run"]).status == 0)
            let head = try await ReadSide.head(try await database.connect())
            let instant = try await Self.now(database)

            var captured: [String: String] = [:]
            for format in ["table", "json", "csv"] {
                let report = try await Self.ledger(database, ["report", "budget", "--format", format])
                #expect(report.status == 0, "\(report)")
                #expect(report.stderr.isEmpty, "\(report)")
                captured[format] = report.stdout
                for arguments in [["--as-of", instant.utc], ["--as-of", instant.vietnam], ["--until-position", String(head)]] {
                    let replay = try await Self.ledger(database, ["replay", "--format", format] + arguments)
                    #expect(replay.status == 0, "\(replay)")
                    #expect(replay.stdout == report.stdout, "\(format) \(arguments)")
                    #expect(replay.stderr.contains("position \(head)"), "\(replay)")
                }
            }
            #expect(captured["table"]?.contains("470,000,000") == true)

            // More happens: a new allocation, a payment, an approval.
            _ = try await people.admin.allocateBudget(program: Self.water, year: 2024, district: .caiRang, amount: 9_000_000, reference: "QĐ bổ sung")
            try await Self.pay(people, "A-2", "P-5", 20_000_000, "2024-08-01")
            #expect(try await Self.ledger(database, ["projections", "run"]).status == 0)
            let now = try await Self.ledger(database, ["report", "budget", "--format", "json"])
            #expect(now.stdout != captured["json"])

            for format in ["table", "json", "csv"] {
                for arguments in [["--as-of", instant.utc], ["--as-of", instant.vietnam], ["--until-position", String(head)]] {
                    let replay = try await Self.ledger(database, ["replay", "--format", format] + arguments)
                    #expect(replay.status == 0, "\(replay)")
                    #expect(replay.stdout == captured[format], "\(format) \(arguments)")
                }
            }
            // Replaying the present equals the report of the present.
            let present = try await Self.ledger(database, ["replay", "--format", "json", "--as-of", "2999-01-01"])
            #expect(present.stdout == now.stdout)
            // Before the first event: nothing.
            let empty = try await Self.ledger(database, ["replay", "--format", "csv", "--until-position", "0"])
            #expect(empty.stdout == "level,program,fiscal_year,district,district_name,allocated_vnd,reserved_vnd,paid_vnd,lent_vnd,released_vnd,available_vnd\ntotal,,,,,0,0,0,0,0,0\n")
        }
    }

    /// A minimal RFC 4180 reader for the tests (fields here hold no line breaks).
    static func csvRows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            var fields: [String] = [], field = "", quoted = false
            var characters = Array(line)[...]
            while let character = characters.popFirst() {
                if quoted {
                    if character == "\"" {
                        if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                    } else { field.append(character) }
                } else if character == "\"" { quoted = true }
                else if character == "," { fields.append(field); field = "" }
                else { field.append(character) }
            }
            fields.append(field)
            return fields
        }
    }

    @Test func reportsFromTheCommandLineInEveryFormat() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await Self.scenario(database)
            // Not yet projected: the report says so on stderr, and shows what the table holds.
            let stale = try await Self.ledger(database, ["report", "budget"])
            #expect(stale.status == 0, "\(stale)")
            #expect(stale.stderr.contains("behind the log"), "\(stale)")
            #expect(try await Self.ledger(database, ["projections", "run"]).status == 0)

            // Table: thousands grouped, district names with diacritics, totals.
            let table = try await Self.ledger(database, ["report", "budget", "--district", "ninh kieu", "--year", "2024"])
            #expect(table.status == 0, "\(table)")
            #expect(table.stdout.contains("Ninh Kiều"))
            #expect(!table.stdout.contains("Cái Răng"))
            #expect(table.stdout.contains("420,000,000"))  // allocated in Ninh Kiều, all programmes

            // CSV parses; per-programme and per-district totals add up to the grand total.
            let csv = try await Self.ledger(database, ["report", "budget", "--format", "csv"])
            let rows = Self.csvRows(csv.stdout)
            let header = try #require(rows.first)
            let body = rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
            func sum(_ level: String, _ column: String) -> Int64 {
                body.filter { $0["level"] == level }.compactMap { Int64($0[column] ?? "") }.reduce(0, +)
            }
            for column in ["allocated_vnd", "reserved_vnd", "paid_vnd", "released_vnd", "available_vnd"] {
                let total = sum("total", column)
                #expect(sum("budget", column) == total && sum("programme", column) == total && sum("district", column) == total, "\(column)")
            }
            #expect(sum("total", "available_vnd") == 310_000_000)
            #expect(body.first { $0["level"] == "district" && $0["district"] == "cai-rang" }?["district_name"] == "Cái Răng")

            // JSON parses with exact integers; a business date as of 2024-04-22.
            let json = try await Self.ledger(database, ["report", "budget", "--format", "json", "--as-of", "2024-04-22", "--program", Self.housing])
            #expect(json.status == 0, "\(json)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["business_date_as_of"] as? String == "2024-04-22")
            let total = try #require(object["total"] as? [String: Any])
            #expect(total["paid_vnd"] as? Int == 35_000_000)
            #expect(total["released_vnd"] as? Int == 0)

            // The statement and the loan book.
            let statement = try await Self.ledger(database, ["report", "beneficiary", "H-1", "--format", "csv"])
            #expect(statement.status == 0, "\(statement)")
            let lines = Self.csvRows(statement.stdout)
            #expect(lines.count == 11)
            #expect(lines.last?[3] == "payment" && lines.last?[8] == "0")
            let statementTable = try await Self.ledger(database, ["report", "beneficiary", "W-1"])
            #expect(statementTable.stdout.contains("26,645,479"), "\(statementTable)")
            let loansRun = try await Self.ledger(database, ["report", "loans", "--as-of", "2024-10-16", "--overdue", "--format", "json"])
            #expect(loansRun.status == 0, "\(loansRun)")
            let loansObject = try #require(try JSONSerialization.jsonObject(with: Data(loansRun.stdout.utf8)) as? [String: Any])
            let loan = try #require((loansObject["loans"] as? [[String: Any]])?.first)
            #expect(loan["days_past_due"] as? Int == 15)
            #expect(loan["arrears_bucket"] as? String == "1-30 days")
            #expect(loan["outstanding_principal_vnd"] as? Int == 75_000_000)
            let loansTable = try await Self.ledger(database, ["report", "loans", "--as-of", "2024-09-30"])
            #expect(loansTable.stdout.contains("1,234,110"), "\(loansTable)")
        }
    }

    @Test(arguments: [
        (["replay"], "--as-of"),
        (["replay", "--as-of", "2024-13-01"], "--as-of"),
        (["replay", "--as-of", "tomorrow"], "--as-of"),
        (["replay", "--as-of", "2024-03-01T12:00:00+7"], "--as-of"),
        (["replay", "--until-position", "-3"], "--until-position"),
        (["replay", "--until-position", "ten"], "--until-position"),
        (["replay", "--as-of", "2024-03-01", "--until-position", "3"], "--until-position"),
        (["replay", "--until-position", "3", "--format", "xml"], "--format"),
        (["report", "budget", "--as-of", "01/03/24"], "--as-of"),
        (["report", "budget", "--district", "Hà Nội"], "--district"),
        (["report", "budget", "--year", "24"], "--year"),
        (["report", "budget", "--format", "pdf"], "--format"),
        (["report", "loans", "--as-of", "2024-02-30"], "--as-of"),
        (["report", "beneficiary", "H 1"], "ID"),
        (["report", "beneficiary"], "<id>"),
    ])
    func badFlagsExit64NamingTheFlag(arguments: [String], mentions: String) async throws {
        try await TestDatabase.withFresh { database in
            #expect(try await Self.ledger(database, ["migrate"]).status == 0)
            let run = try await Self.ledger(database, arguments)
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains(mentions), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
        }
    }

    @Test func refusalsExit1() async throws {
        try await TestDatabase.withFresh { database in
            #expect(try await Self.ledger(database, ["migrate"]).status == 0)
            let beyond = try await Self.ledger(database, ["replay", "--until-position", "5"])
            #expect(beyond.status == 1, "\(beyond)")
            #expect(beyond.stderr.contains("beyond the head of the log (0)"), "\(beyond)")
            let nobody = try await Self.ledger(database, ["report", "beneficiary", "NOBODY"])
            #expect(nobody.status == 1, "\(nobody)")
            #expect(nobody.stderr.contains("NOBODY"), "\(nobody)")
        }
    }
}
