import EventStore
import Foundation
import Ledger
import Postgres
import TestSupport
import Testing

/// Importing payment files against a real PostgreSQL, as an officer.
@Suite(.enabled(if: TestDatabase.enabled))
struct PaymentImportTests {
    /// Two approved applications of 40,000,000 ₫ (A-1 with a bank account, A-2 without), one
    /// submitted but not approved (A-3), and a file with a good row and one of each kind of bad row.
    static func mixedFile(_ ledger: ImportLedger) async throws -> String {
        try await ledger.approvedApplication("A-1", household: "HH-1")
        try await ledger.approvedApplication("A-2", household: "HH-2", bank: false)
        try await ledger.household("HH-3")
        _ = try await ledger.officer.submitApplication(
            id: "A-3", beneficiary: "HH-3", program: ImportLedger.housing, amount: 10_000_000, submittedOn: ImportLedger.submittedOn, year: nil
        )
        return PaymentCSV.text([
            PaymentCSV.row("P-1", "A-1", 30_000_000),  // 2: good
            PaymentCSV.row("P-2", "A-1", 20_000_000),  // 3: overpays A-1 after line 2
            PaymentCSV.row("P-3", "A-404", 1_000_000),  // 4: no such application
            PaymentCSV.row("P-4", "A-2", 1_000_000),  // 5: bank, but HH-2 has no account
            PaymentCSV.row("P-5", "A-2", 5_000_000, method: "cash"),  // 6: good
            PaymentCSV.row("P-6", "A-3", 1_000_000),  // 7: not approved
            PaymentCSV.row("P-7", "A-1", 1_000_000, paidOn: "2024-03-01"),  // 8: before the approval
            ["P-8", "A-1", "1 triệu", "2024-03-15", "bank", "PC-8"],  // 9: not an amount
            PaymentCSV.row("P-9", "A-1", 10_000_000),  // 10: good (fills A-1)
        ])
    }

    static let mixedFileProblems = [
        "3 amount_vnd overpayment", "4 application_id unknownApplication", "5 method noBankAccount", "7 application_id wrongStatus",
        "8 paid_on outsideProgramWindow", "9 amount_vnd invalidInput",
    ]

    static func summary(_ problems: [PaymentImportProblem]) -> [String] {
        problems.map { "\($0.line) \($0.column?.rawValue ?? "-") \($0.code)" }
    }

    @Test func aFileWithBadRowsAppendsNothingAndNamesEachBadRowsLineAndColumn() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let file = try await Self.mixedFile(ledger)
            let head = try await ledger.head()
            let result = try await ledger.importing(file)
            #expect(result.outcome == .refused)
            #expect(Self.summary(result.problems) == Self.mixedFileProblems)
            #expect((result.rowsRead, result.recorded, result.invalid, result.notRecorded) == (9, 0, 6, 3))
            #expect(result.problems[0].message.hasPrefix("paying 20,000,000 ₫ would exceed the 40,000,000 ₫ approved for application A-1"))
            #expect(result.problems[3].message.contains("application A-3 is submitted"))
            #expect(try await ledger.head() == head)
            #expect(try await ledger.recordedPaymentIDs().isEmpty)
        }
    }

    @Test func withSkipInvalidExactlyTheGoodRowsAreRecorded() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let file = try await Self.mixedFile(ledger)
            let head = try await ledger.head()
            let result = try await ledger.importing(file, skipInvalid: true)
            #expect(result.outcome == .recordedSkippingInvalid)
            #expect(Self.summary(result.problems) == Self.mixedFileProblems)
            #expect((result.rowsRead, result.recorded, result.invalid, result.notRecorded, result.appends) == (9, 3, 6, 0, 1))
            #expect(Set(try await ledger.recordedPaymentIDs()) == ["P-1", "P-5", "P-9"])
            #expect(try await ledger.head() == head + 3)
            #expect((result.firstPosition, result.lastPosition) == (head + 1, head + 3))
            #expect(try await ledger.application("A-1").paid == 40_000_000)
            #expect(try await ledger.application("A-2").paid == 5_000_000)
        }
    }

    @Test func importingTheSameFileAgainRecordsNothing() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let file = PaymentCSV.text((1...20).map { PaymentCSV.row("P-\($0)", "A-1", 1_000_000) })
            let first = try await ledger.importing(file)
            #expect((first.outcome, first.recorded, first.alreadyRecorded) == (.recorded, 20, 0))
            let head = try await ledger.head()
            let again = try await ledger.importing(file)
            #expect((again.outcome, again.recorded, again.alreadyRecorded, again.appends) == (.recorded, 0, 20, 0))
            #expect(try await ledger.head() == head)
            #expect(try await ledger.application("A-1").paid == 20_000_000)
        }
    }

    @Test func anOverlappingFileRecordsOnlyTheNewRows() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            try await ledger.approvedApplication("A-2", household: "HH-2")
            let rows = (1...30).map { PaymentCSV.row("P-\($0)", $0 % 2 == 0 ? "A-1" : "A-2", 1_000_000) }
            _ = try await ledger.importing(PaymentCSV.text(Array(rows[0..<20])))
            // A file with rows 11–30, in another order and with a repeated row.
            let overlapping = Array(rows[10..<30].reversed()) + [rows[12]]
            let result = try await ledger.importing(PaymentCSV.text(overlapping))
            #expect((result.outcome, result.recorded, result.alreadyRecorded, result.duplicatesInFile) == (.recorded, 10, 10, 1))
            let recorded = try await ledger.recordedPaymentIDs()
            #expect(recorded.count == 30)
            #expect(Set(recorded) == Set((1...30).map { "P-\($0)" }))
        }
    }

    @Test func aPaymentIDReusedWithADifferentAmountOrOnAnotherApplicationIsReported() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            try await ledger.approvedApplication("A-2", household: "HH-2")
            _ = try await ledger.officer.recordPayment(LedgerService.PaymentOrder(
                applicationID: "A-1", paymentID: "P-1", amount: 3_000_000, paidOn: ImportLedger.date("2024-03-15"), method: .bank, voucher: "PC-P-1"
            ))
            let head = try await ledger.head()
            let result = try await ledger.importing(PaymentCSV.text([
                PaymentCSV.row("P-1", "A-1", 3_000_000),  // 2: the same payment: already recorded
                PaymentCSV.row("P-1", "A-1", 4_000_000),  // 3: a different amount in the same file
                PaymentCSV.row("P-2", "A-2", 1_000_000),  // 4: good
            ]))
            #expect(result.outcome == .refused)
            #expect(Self.summary(result.problems) == ["3 payment_id duplicateInFile"])
            #expect(result.alreadyRecorded == 1)

            let against = try await ledger.importing(PaymentCSV.text([
                PaymentCSV.row("P-1", "A-1", 4_000_000),  // 2: recorded before for 3,000,000
                PaymentCSV.row("P-3", "A-2", 1_000_000),  // 3: good
                PaymentCSV.row("P-1", "A-2", 3_000_000),  // 4: P-1 again, on another application
            ]))
            #expect(against.outcome == .refused)
            #expect(Self.summary(against.problems) == ["2 payment_id conflictingDuplicate", "4 payment_id duplicateInFile"])
            #expect(against.problems[0].message.hasPrefix("payment P-1 was already recorded for 3,000,000 ₫ on 2024-03-15"))

            let elsewhere = try await ledger.importing(PaymentCSV.text([PaymentCSV.row("P-1", "A-2", 3_000_000)]))
            #expect(Self.summary(elsewhere.problems) == ["2 payment_id conflictingDuplicate"])
            #expect(elsewhere.problems[0].message == "payment id P-1 is already recorded on application A-1; a different payment needs a different payment id")
            #expect(try await ledger.head() == head)
        }
    }

    @Test func aFileOfTenThousandRowsIsImported() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let applications = try await ledger.seedApprovedApplications(count: 100)
            // 100 payments of 400,000 ₫ on each application: exactly what was approved.
            var rows: [[String]] = []
            for round in 0..<100 {
                for (index, application) in applications.enumerated() {
                    rows.append(PaymentCSV.row("P-\(round)-\(index)", application, 400_000))
                }
            }
            let head = try await ledger.head()
            let result = try await ledger.importing(PaymentCSV.text(rows))
            #expect((result.outcome, result.rowsRead, result.recorded, result.invalid) == (.recorded, 10_000, 10_000, 0))
            #expect(result.appends == 20)
            #expect(try await ledger.head() == head + 10_000)
            for id in [applications[0], applications[57], applications[99]] {
                let state = try await ledger.application(id)
                #expect(state.paid == 40_000_000)
                #expect(state.version == 102)
            }
            #expect(try await ledger.superuser.store.verifyChain().isIntact)
        }
    }

    @Test func anImportRacingAnotherOfficerNeverOverpaysAndReportsWhatNoLongerFits() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let applications = try await ledger.seedApprovedApplications(count: 10, amount: 10_000_000)
            // The file pays 8,000,000 ₫ on each application in 40 rows; the other officer pays
            // 5 × 1,000,000 ₫ on each meanwhile, so some of the file's rows no longer fit.
            var rows: [[String]] = []
            for round in 0..<40 {
                for application in applications { rows.append(PaymentCSV.row("F-\(round)-\(application)", application, 200_000)) }
            }
            let other = try await ledger.anotherOfficer()
            async let racing: Int = {
                var accepted = 0
                for round in 0..<5 {
                    for application in applications {
                        do {
                            _ = try await other.recordPayment(LedgerService.PaymentOrder(
                                applicationID: application, paymentID: "O-\(round)-\(application)", amount: 1_000_000,
                                paidOn: ImportLedger.date("2024-03-20"), method: .cash, voucher: "PC-O"
                            ))
                            accepted += 1
                        } catch let error as DomainError where error.code == .overpayment {}
                    }
                }
                return accepted
            }()
            let result = try await ledger.importing(PaymentCSV.text(rows), skipInvalid: true)
            let otherAccepted = try await racing
            #expect(result.outcome != .stopped, "\(result.stopReason ?? "")")
            #expect(result.recorded + result.invalid == rows.count)
            #expect(result.problems.allSatisfy { $0.code == .init(.overpayment) })
            let recorded = try await ledger.recordedPaymentIDs()
            #expect(recorded.count == result.recorded + otherAccepted)
            #expect(Set(recorded).count == recorded.count)
            var paid = VND.zero
            for id in applications {
                let state = try await ledger.application(id)
                #expect(state.paid <= state.approved)
                paid += state.paid
            }
            #expect(paid == VND(Int64(result.recorded) * 200_000 + Int64(otherAccepted) * 1_000_000))
        }
    }

    @Test func twoOfficersImportingTheSameFileAtOnceRecordEachRowOnce() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let applications = try await ledger.seedApprovedApplications(count: 150)
            let rows = (0..<3_000).map { PaymentCSV.row("P-\($0)", applications[$0 % applications.count], 100_000) }
            let file = PaymentCSV.text(rows)
            let other = try await ledger.anotherOfficer()
            async let first = ledger.importing(file)
            async let second = ledger.importing(file, by: other)
            let results = try await [first, second]
            for result in results {
                #expect(result.outcome == .recorded, "\(result.stopReason ?? "")")
                #expect(result.recorded + result.alreadyRecorded == rows.count)
            }
            #expect(results[0].recorded + results[1].recorded == rows.count)
            let recorded = try await ledger.recordedPaymentIDs()
            #expect(recorded.count == rows.count)
            #expect(Set(recorded).count == rows.count)
        }
    }

    @Test func anAuditorImportingRecordsNothingAndIsToldWhy() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let auditor = LedgerService(connection: try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor")))
            let head = try await ledger.head()
            let result = try await ledger.importing(PaymentCSV.text([PaymentCSV.row("P-1", "A-1", 1_000_000)]), by: auditor)
            #expect((result.outcome, result.recorded, result.notRecorded) == (.stopped, 0, 1))
            #expect(result.stopReason?.contains("permission") == true, "\(result.stopReason ?? "")")
            #expect(try await ledger.head() == head)
        }
    }
}

/// `ledger payment import` as a user runs it: what goes to stdout and stderr, and the exit status.
@Suite(.enabled(if: TestDatabase.enabled))
struct PaymentImportCommandTests {
    @Test func aFileWithABadRowIsRefusedWithTheReportAndExitsOne() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let head = try await ledger.head()
            let file = Array(PaymentCSV.text([PaymentCSV.row("P-1", "A-1", 1_000_000), PaymentCSV.row("P-2", "A-1", 99_000_000)]).utf8)
            let run = try await LedgerRun.run(["payment", "import"], file: file, database: db, user: ledger.officerRole)
            #expect(run.status == 1, "\(run)")
            #expect(run.stdout.contains("rows read:          2"), "\(run)")
            #expect(run.stdout.contains("   3  amount_vnd  paying 99,000,000 ₫ would exceed"), "\(run)")
            #expect(run.stderr.contains("ledger: error: invalid rows: 1 row of 2 (listed in the report); nothing was recorded."), "\(run)")
            #expect(try await ledger.head() == head)

            let skipping = try await LedgerRun.run(["payment", "import", "--skip-invalid", "--format", "json"], file: file, database: db, user: ledger.officerRole)
            #expect(skipping.status == 0, "\(skipping)")
            #expect(skipping.stderr.hasPrefix("ledger: warning: invalid rows skipped: 1 row (listed in the report)"), "\(skipping)")
            let result = try JSONDecoder().decode(PaymentImportResult.self, from: Data(skipping.stdout.utf8))
            #expect((result.outcome, result.recorded, result.invalid) == (.recordedSkippingInvalid, 1, 1))
            #expect(result.problems.map(\.line) == [3])

            let csv = try await LedgerRun.run(["payment", "import", "--format", "csv"], file: file, database: db, user: ledger.officerRole)
            #expect(csv.status == 1, "\(csv)")
            #expect(csv.stdout.hasPrefix("line,column,code,problem\n3,amount_vnd,overpayment,\"paying 99,000,000 ₫ would exceed"), "\(csv)")
        }
    }

    @Test func aFileInAnotherEncodingOrMalformedIsRefusedNamingTheLineAndExitsSixtyFour() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let head = try await ledger.head()
            let windows1258 = Array((PaymentCSV.header + "\nP-1,A-1,100000,2024-03-15,cash,Chi tra").utf8) + [0xD2, 0x0A]
            let encoding = try await LedgerRun.run(["payment", "import"], file: windows1258, database: db, user: ledger.officerRole)
            #expect(encoding.status == 64, "\(encoding)")
            #expect(encoding.stderr.contains("payments.csv: line 2: byte 39 (0xD2) is not UTF-8"), "\(encoding)")
            #expect(encoding.stderr.contains("nothing was recorded"), "\(encoding)")
            #expect(encoding.stdout.isEmpty)

            let unterminated = Array((PaymentCSV.header + "\nP-1,A-1,100000,2024-03-15,cash,\"PC 1\n").utf8)
            let malformed = try await LedgerRun.run(["payment", "import"], file: unterminated, database: db, user: ledger.officerRole)
            #expect(malformed.status == 64, "\(malformed)")
            #expect(malformed.stderr.contains("line 2: a quoted value that starts on this line is never closed"), "\(malformed)")
            #expect(try await ledger.head() == head)
        }
    }
}
