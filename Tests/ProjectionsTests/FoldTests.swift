import Ledger
@testable import Projections
import Testing

/// A small history folded without a database: what each read model shows a user.
struct FoldTests {
    static let budget = Streams.budget(program: "NQ12-HOUSING", year: 2024, district: .ninhKieu)

    /// Events in log order, positions 1, 2, 3, …
    struct History {
        var events: [ProjectedEvent] = []
        var versions: [String: Int64] = [:]

        mutating func add(_ stream: String, _ event: LedgerEvent, actor: String = "officer") {
            let version = (versions[stream] ?? 0) + 1
            versions[stream] = version
            events.append(ProjectedEvent(event: event, streamID: stream, context: EventContext(
                position: Int64(events.count + 1), streamVersion: version, actor: actor,
                recordedAtMicroseconds: 1_709_280_000_000_000 + Int64(events.count) * 1_000_000
            )))
        }

        func fold<P: Projection>(_: P.Type) throws -> P {
            var projection = P()
            for event in events { try projection.apply(event) }
            return projection
        }
    }

    static func date(_ text: String) -> LocalDate { try! LocalDate(parsing: text, field: "date") }

    /// Budget 1,000,000; A-1 approved 300,000, paid 200,000, closed (100,000 released);
    /// A-2 approved 400,000, paid 150,000, the payment returned by the bank; A-3 rejected.
    static func housingHistory() -> History {
        var history = History()
        history.add(budget, .budgetAllocated(BudgetAllocated(program: "NQ12-HOUSING", fiscalYear: 2024, district: .ninhKieu,
                                                             amountVND: 1_000_000, reference: "QĐ 1")), actor: "admin")
        for (id, beneficiary) in [("A-1", "HH-1"), ("A-2", "HH-2"), ("A-3", "HH-2")] {
            history.add(Streams.application(id), .applicationSubmitted(ApplicationSubmitted(
                applicationID: id, beneficiaryID: beneficiary, program: "NQ12-HOUSING", district: .ninhKieu, fiscalYear: 2024,
                requestedVND: 500_000, submittedOn: date("2024-03-01"))), actor: "lan")
        }
        for (id, amount) in [("A-1", VND(300_000)), ("A-2", VND(400_000))] {
            history.add(Streams.application(id), .applicationApproved(ApplicationApproved(
                approvedVND: amount, decisionReference: "QĐ \(id)", decidedOn: date("2024-03-10"))), actor: "minh")
            history.add(budget, .fundsReserved(FundsReserved(applicationID: id, amountVND: amount)), actor: "minh")
        }
        history.add(Streams.application("A-3"), .applicationRejected(ApplicationRejected(reason: "not poor", decidedOn: date("2024-03-11"))), actor: "thu")
        history.add(Streams.application("A-1"), .paymentRecorded(PaymentRecorded(
            paymentID: "P-1", amountVND: 200_000, paidOn: date("2024-03-15"), method: .bank, voucher: "PC-1", bankAccount: "AGR 1")))
        history.add(Streams.application("A-2"), .paymentRecorded(PaymentRecorded(
            paymentID: "P-2", amountVND: 150_000, paidOn: date("2024-03-15"), method: .bank, voucher: "PC-2", bankAccount: "AGR 2")))
        history.add(Streams.application("A-2"), .paymentReversed(PaymentReversed(
            paymentID: "P-2", amountVND: 150_000, reason: "account closed", reversedOn: date("2024-03-20"))))
        history.add(Streams.application("A-1"), .applicationClosed(ApplicationClosed(
            closedOn: date("2024-04-01"), paidVND: 200_000, releasedVND: 100_000)))
        history.add(budget, .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 100_000, reason: "closed")))
        return history
    }

    /// The value of `column` in `row` of `table`.
    static func value(_ row: ReadModelRow, _ table: ReadModelTable, _ column: String) -> String? {
        row[table.columns.firstIndex(of: column)!]
    }

    @Test func budgetShowsWhatApprovalsPaymentsAndClosuresLeftAvailable() throws {
        let rows = try Self.housingHistory().fold(BudgetUsageProjection.self).allRows()[0]
        let table = BudgetUsageProjection.tables[0]
        #expect(rows.count == 1)
        let row = rows[0]
        #expect(Self.value(row, table, "program") == "NQ12-HOUSING")
        #expect(Self.value(row, table, "district") == "ninh-kieu")
        #expect(Self.value(row, table, "allocated_vnd") == "1000000")
        #expect(Self.value(row, table, "reserved_vnd") == "700000")
        #expect(Self.value(row, table, "released_vnd") == "100000")
        // The returned payment is not paid.
        #expect(Self.value(row, table, "paid_vnd") == "200000")
        // 1,000,000 − 700,000 reserved + 100,000 given back by the closure.
        #expect(Self.value(row, table, "available_vnd") == "400000")
        // A-2's 400,000 is still held for it.
        #expect(Self.value(row, table, "committed_unpaid_vnd") == "400000")
        #expect(Self.value(row, table, "approvals") == "2")
    }

    @Test func aReversedPaymentIsPayableAgain() throws {
        let rows = try Self.housingHistory().fold(BeneficiaryBalancesProjection.self).allRows()[0]
        let table = BeneficiaryBalancesProjection.tables[0]
        let household2 = rows.first { $0[0] == "HH-2" }!
        #expect(Self.value(household2, table, "applications") == "2")
        // A-3 was rejected: only A-2's approval counts.
        #expect(Self.value(household2, table, "approved_vnd") == "400000")
        // Paid is net of reversals; the returned payment is in reversed.
        #expect(Self.value(household2, table, "paid_vnd") == "0")
        #expect(Self.value(household2, table, "reversed_vnd") == "150000")
        #expect(Self.value(household2, table, "remaining_payable_vnd") == "400000")
        let household1 = rows.first { $0[0] == "HH-1" }!
        // Closed: nothing more is payable.
        #expect(Self.value(household1, table, "remaining_payable_vnd") == "0")
        #expect(Self.value(household1, table, "approved_vnd") == "300000")
    }

    @Test func applicationsShowStatusAmountsAndWhoDecided() throws {
        let rows = try Self.housingHistory().fold(ApplicationsProjection.self).allRows()[0]
        let table = ApplicationsProjection.tables[0]
        #expect(rows.map { $0[0] } == ["A-1", "A-2", "A-3"])
        #expect(rows.map { Self.value($0, table, "status") } == ["closed", "approved", "rejected"])
        #expect(rows.map { Self.value($0, table, "submitted_by") } == ["lan", "lan", "lan"])
        #expect(rows.map { Self.value($0, table, "decided_by") } == ["minh", "minh", "thu"])
        #expect(Self.value(rows[0], table, "released_vnd") == "100000")
        #expect(Self.value(rows[1], table, "paid_vnd") == "0")
        #expect(Self.value(rows[1], table, "reversed_vnd") == "150000")
        #expect(Self.value(rows[1], table, "remaining_payable_vnd") == "400000")
        #expect(Self.value(rows[2], table, "rejection_reason") == "not poor")
        #expect(Self.value(rows[2], table, "decided_on") == "2024-03-11")
    }

    /// Whatever the batch boundaries, the rows written (last write of each key wins) equal the
    /// rows of one fold of everything: what makes incremental running equal a rebuild.
    @Test(arguments: [1, 2, 3, 5, 8])
    func changedRowsInBatchesEndEqualToOneFold(batch: Int) throws {
        let history = Self.housingHistory()
        for type in ProjectionCatalog.all {
            let (incremental, whole) = try Self.batchedAndWhole(type, history, batch: batch)
            #expect(incremental == whole, "\(type.name) with batches of \(batch)")
        }
    }

    static func batchedAndWhole<P: Projection>(_: P.Type, _ history: History, batch: Int) throws -> ([[ReadModelRow]], [[ReadModelRow]]) {
        func key(_ row: ReadModelRow, _ table: ReadModelTable) -> String {
            row.prefix(table.keyCount).map { $0 ?? "" }.joined(separator: "\u{1}")
        }
        var projection = P()
        var written = Array(repeating: [String: ReadModelRow](), count: P.tables.count)
        for start in stride(from: 0, to: history.events.count, by: batch) {
            for event in history.events[start..<min(start + batch, history.events.count)] { try projection.apply(event) }
            for (index, rows) in projection.takeChangedRows().enumerated() {
                for row in rows { written[index][key(row, P.tables[index])] = row }
            }
        }
        let incremental = written.map { table in table.keys.sorted().map { table[$0]! } }
        let whole = try history.fold(P.self).allRows().enumerated().map { index, rows in
            rows.sorted { key($0, P.tables[index]) < key($1, P.tables[index]) }
        }
        return (incremental, whole)
    }

    @Test func aLoanIsBookedWithItsScheduleAndRepayments() throws {
        var history = History()
        let terms = LoanTerms(ratePeriods: [RatePeriod(from: Self.date("2024-01-01"), annualRateBasisPoints: 660)],
                              overdueMultiplierPercent: 130, maxTermMonths: 36, instalmentMonths: 3)
        history.add(Streams.program("LOAN"), .programDefined(ProgramDefinition(
            code: "LOAN", nameVi: "Vay", nameEn: "Loan", legalBasis: "NQ 11", kind: .loan, beneficiaryKinds: [.person],
            eligibleCategories: [], capPerBeneficiaryVND: 150_000_000, validFrom: Self.date("2024-01-01"),
            validUntil: Self.date("2025-12-31"), onceOnly: true, effectiveFrom: Self.date("2024-01-01"), illustrative: true,
            loanTerms: terms)), actor: "admin")
        history.add(Streams.loan("L-1"), .loanDisbursed(LoanDisbursed(
            loanID: "L-1", applicationID: "A-9", beneficiaryID: "W-1", program: "LOAN", principalVND: 120_000_000,
            disbursedOn: Self.date("2024-03-01"), termMonths: 12, instalmentMonths: 3, overdueMultiplierPercent: 130)))
        history.add(Streams.loan("L-1"), .loanRepaid(LoanRepaid(
            repaymentID: "R-1", amountVND: 32_000_000, paidOn: Self.date("2024-06-01"), overdueInterestVND: 0,
            interestVND: 2_000_000, overduePrincipalVND: 0, principalDueVND: 30_000_000, prepaidPrincipalVND: 0,
            outstandingPrincipalAfterVND: 90_000_000)))
        let book = try history.fold(LoanBookProjection.self).allRows()
        let loans = LoanBookProjection.tables[0]
        #expect(book[0].count == 1)
        #expect(Self.value(book[0][0], loans, "outstanding_principal_vnd") == "90000000")
        #expect(Self.value(book[0][0], loans, "interest_repaid_vnd") == "2000000")
        #expect(Self.value(book[0][0], loans, "first_unpaid_due_on") == "2024-09-01")
        #expect(Self.value(book[0][0], loans, "matures_on") == "2025-03-01")
        #expect(Self.value(book[0][0], loans, "last_accrual_on") == "2024-06-01")
        // The stored state gives the domain's own position as of a later date.
        let state = try LoanBookJSON.decode(LoanState.self, Self.value(book[0][0], loans, "state")!)
        let position = try LoanPosition(loan: state, ratePeriods: terms.ratePeriods, asOf: Self.date("2024-09-11"))
        #expect(position.daysPastDue == 10)
        #expect(position.overduePrincipalVND == 30_000_000)
        #expect(book[1].count == 1)
        #expect(Self.value(book[1][0], LoanBookProjection.tables[1], "program") == "LOAN")

        let balances = try history.fold(BeneficiaryBalancesProjection.self).allRows()[0]
        let table = BeneficiaryBalancesProjection.tables[0]
        #expect(Self.value(balances[0], table, "kind") == "loan")
        #expect(Self.value(balances[0], table, "principal_disbursed_vnd") == "120000000")
        #expect(Self.value(balances[0], table, "principal_repaid_vnd") == "30000000")
        #expect(Self.value(balances[0], table, "outstanding_principal_vnd") == "90000000")
        #expect(Self.value(balances[0], table, "earliest_unpaid_due_on") == "2024-09-01")
    }
}
