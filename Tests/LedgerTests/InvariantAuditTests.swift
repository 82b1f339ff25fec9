import EventStore
import Foundation
import Ledger
import Testing

/// The replay behind `ledger audit verify`: a correct history passes; each broken rule is named
/// with its position, whichever way the event got into the log.
@Suite struct InvariantAuditTests {
    /// A log being written: each entry is (stream, event, actor).
    struct Log {
        var events: [RecordedEvent] = []
        var versions: [String: Int64] = [:]

        mutating func add(_ stream: String, _ event: LedgerEvent, by actor: String) {
            let version = (versions[stream] ?? 0) + 1
            versions[stream] = version
            let new = try! event.newEvent()
            events.append(RecordedEvent(
                position: Int64(events.count + 1), streamID: StreamID(stream), streamVersion: version, type: new.type,
                schemaVersion: new.schemaVersion, payloadJSON: new.payloadJSON, metadataJSON: #"{"actor": "\#(actor)"}"#,
                commandID: "c-\(events.count + 1)", recordedAtMicroseconds: Int64(events.count), previousHash: [], hash: []
            ))
        }

        func audit() -> InvariantAudit {
            var audit = InvariantAudit()
            for event in events { audit.check(event, decoded: InvariantAudit.decode(event)) }
            return audit
        }
    }

    static let budgetStream = Streams.budget(program: "NQ12-LATRINE", year: 2024, district: .ninhKieu)

    /// Programme (cap 6,000,000), budget of 10,000,000, household HH-1, application A-1 submitted
    /// by the officer and approved for 6,000,000 by the approver.
    static func approved() -> Log {
        var log = Log()
        log.add(Streams.program("NQ12-LATRINE"), .programDefined(Fixtures.grant()), by: "admin")
        log.add(budgetStream, .budgetAllocated(BudgetAllocated(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu,
                                                               amountVND: 10_000_000, reference: "QĐ 1")), by: "admin")
        log.add(Streams.beneficiary("HH-1"), .beneficiaryRegistered(BeneficiaryRegistered(
            beneficiaryID: "HH-1", kind: .household, name: "Hộ A", district: .ninhKieu, categories: ["poor"],
            bankAccount: "Agribank 1", nationalIDFingerprint: "f1"
        )), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .applicationSubmitted(Fixtures.submitted()), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .applicationApproved(ApplicationApproved(
            approvedVND: 6_000_000, decisionReference: "QĐ 2", decidedOn: Fixtures.date("2024-03-10"))), by: Fixtures.approver)
        log.add(budgetStream, .fundsReserved(FundsReserved(applicationID: "A-1", amountVND: 6_000_000)), by: Fixtures.approver)
        return log
    }

    @Test func aCorrectHistoryBreaksNoRule() {
        var log = Self.approved()
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 4_000_000)), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentReversed(PaymentReversed(paymentID: "P-1", amountVND: 4_000_000, reason: "bank return",
                                                                             reversedOn: Fixtures.date("2024-03-20"))), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-2", 6_000_000)), by: Fixtures.officer)
        let audit = log.audit()
        #expect(audit.violations.isEmpty, "\(audit.violations)")
        #expect(audit.eventsChecked == 9)
    }

    @Test func overpaymentIsNamedAtThePaymentThatCrossedTheApproval() {
        var log = Self.approved()
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 4_000_000)), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-2", 2_500_000)), by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.overpayment])
        #expect(violations.first?.position == 8)
        #expect(violations.first?.message.contains("6,500,000 ₫ paid out against 6,000,000 ₫ approved") == true)
    }

    @Test func payingAnApplicationThatIsNotApprovedIsNotPayable() {
        var log = Self.approved()
        log.add(Streams.application("A-1"), .applicationClosed(ApplicationClosed(
            closedOn: Fixtures.date("2024-04-01"), paidVND: .zero, releasedVND: 6_000_000)), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 1_000_000)), by: Fixtures.officer)
        #expect(log.audit().violations.map(\.rule) == [.notPayable])
    }

    @Test func reservingMoreThanAllocatedOrAdjustingBelowItIsOverBudget() {
        var log = Self.approved()
        log.add(Self.budgetStream, .fundsReserved(FundsReserved(applicationID: "A-9", amountVND: 5_000_000)), by: Fixtures.approver)
        log.add(Self.budgetStream, .budgetAdjusted(BudgetAdjusted(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu,
                                                                  deltaVND: 10_000_000, reference: "QĐ 3")), by: "admin")
        log.add(Self.budgetStream, .budgetAdjusted(BudgetAdjusted(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu,
                                                                  deltaVND: -12_000_000, reference: "QĐ 4")), by: "admin")
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.overBudget, .overBudget])
        #expect(violations.map(\.position) == [7, 9])
    }

    @Test func selfApprovalAndDecidingTwiceAreNamed() {
        var log = Self.approved()
        log.add(Streams.application("A-2"), .applicationSubmitted(Fixtures.submitted(id: "A-2")), by: Fixtures.officer)
        log.add(Streams.application("A-2"), .applicationRejected(ApplicationRejected(reason: "x", decidedOn: Fixtures.date("2024-03-11"))),
                by: Fixtures.officer)
        log.add(Streams.application("A-1"), .applicationApproved(ApplicationApproved(
            approvedVND: 1_000_000, decisionReference: "QĐ 5", decidedOn: Fixtures.date("2024-03-12"))), by: Fixtures.approver)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.fourEyes, .lifecycle])
        #expect(violations.first?.message.contains("rejected by officer_lan, who submitted it") == true)
    }

    @Test func aSecondBeneficiaryWithTheSameFingerprintAndAnApprovalAboveTheCap() {
        var log = Self.approved()
        log.add(Streams.beneficiary("HH-2"), .beneficiaryRegistered(BeneficiaryRegistered(
            beneficiaryID: "HH-2", kind: .household, name: "Hộ B", district: .ninhKieu, categories: ["poor"],
            bankAccount: nil, nationalIDFingerprint: "f1"
        )), by: Fixtures.officer)
        log.add(Streams.application("A-3"), .applicationSubmitted(Fixtures.submitted(id: "A-3", beneficiary: "HH-2")), by: Fixtures.officer)
        log.add(Streams.application("A-3"), .applicationApproved(ApplicationApproved(
            approvedVND: 7_000_000, decisionReference: "QĐ 6", decidedOn: Fixtures.date("2024-03-12"))), by: Fixtures.approver)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.duplicateNationalID, .overCap])
        #expect(violations.first?.message.contains("national id of beneficiary HH-1") == true)
    }

    @Test func aRepaymentAllocatedOutOfOrderIsNamedAndTheRightOneIsNot() throws {
        var log = Log()
        log.add(Streams.program("NQ11-OVERSEAS-LOAN"), .programDefined(Fixtures.overseasLoan), by: "admin")
        log.add(Streams.application("A-L"), .applicationSubmitted(Fixtures.submitted(
            id: "A-L", beneficiary: "P-1", program: "NQ11-OVERSEAS-LOAN", requested: 100_000_000)), by: Fixtures.officer)
        log.add(Streams.application("A-L"), .applicationApproved(ApplicationApproved(
            approvedVND: 100_000_000, decisionReference: "QĐ 7", decidedOn: Fixtures.date("2024-03-10"))), by: Fixtures.approver)
        let disbursed = LoanDisbursed(loanID: "L-1", applicationID: "A-L", beneficiaryID: "P-1", program: "NQ11-OVERSEAS-LOAN",
                                      principalVND: 100_000_000, disbursedOn: Fixtures.date("2024-04-01"), termMonths: 12,
                                      instalmentMonths: 3, overdueMultiplierPercent: 130)
        log.add(Streams.loan("L-1"), .loanDisbursed(disbursed), by: Fixtures.officer)
        log.add(Streams.application("A-L"), .loanOpened(LoanOpened(loanID: "L-1", principalVND: 100_000_000,
                                                                   disbursedOn: Fixtures.date("2024-04-01"))), by: Fixtures.officer)
        // What the domain itself decides for a repayment on 1 July: correct by construction.
        let loan = LoanState(loanID: "L-1").folded([.loanDisbursed(disbursed)], actor: Fixtures.officer)
        let terms = try #require(Fixtures.overseasLoan.loanTerms)
        let right = try LoanDecisions.repay(loan: loan, terms: terms, repaymentID: "R-1", amountVND: 27_000_000, paidOn: Fixtures.date("2024-07-01"))
        guard case .loanRepaid(let repaid)? = right.streams.first?.events.first else {
            Issue.record("no repayment decided")
            return
        }
        var good = log
        good.add(Streams.loan("L-1"), .loanRepaid(repaid), by: Fixtures.officer)
        #expect(good.audit().violations.isEmpty, "\(good.audit().violations)")

        // The same money booked all to principal, skipping the interest owed first.
        let skewed = LoanRepaid(repaymentID: "R-1", amountVND: 27_000_000, paidOn: repaid.paidOn, overdueInterestVND: .zero,
                                interestVND: .zero, overduePrincipalVND: .zero, principalDueVND: 25_000_000, prepaidPrincipalVND: 2_000_000,
                                outstandingPrincipalAfterVND: 73_000_000)
        var bad = log
        bad.add(Streams.loan("L-1"), .loanRepaid(skewed), by: Fixtures.officer)
        let violations = bad.audit().violations
        #expect(violations.map(\.rule) == [.repaymentAllocation])
        #expect(violations.first?.position == 6 && violations.first?.message.contains("fixed order") == true)
    }

    @Test func anUnreadablePayloadIsReportedNotSkipped() {
        var log = Self.approved()
        log.events.append(RecordedEvent(
            position: 7, streamID: "application-A-1", streamVersion: 3, type: "PaymentRecorded", schemaVersion: 1,
            payloadJSON: #"{"amount_vnd": "lots"}"#, metadataJSON: #"{"actor": "x"}"#, commandID: "c", recordedAtMicroseconds: 7,
            previousHash: [], hash: []
        ))
        #expect(log.audit().violations.map(\.rule) == [.unreadable])
    }
}
