import EventStore
import Foundation
import Ledger
import Testing

/// The replay behind `ledger audit verify`: a correct history passes; each broken rule is named
/// with its position, whichever way the event got into the log.
@Suite struct InvariantAuditTests {
    /// A log being written: each entry is (stream, event, actor); events added by one `append`
    /// share a command id (one append), every other event has its own.
    struct Log {
        var events: [RecordedEvent] = []
        var versions: [String: Int64] = [:]

        mutating func add(_ stream: String, _ event: LedgerEvent, by actor: String, command: String? = nil) {
            let version = (versions[stream] ?? 0) + 1
            versions[stream] = version
            let new = try! event.newEvent()
            events.append(RecordedEvent(
                position: Int64(events.count + 1), streamID: StreamID(stream), streamVersion: version, type: new.type,
                schemaVersion: new.schemaVersion, payloadJSON: new.payloadJSON, metadataJSON: #"{"actor": "\#(actor)"}"#,
                commandID: command ?? "c-\(events.count + 1)", recordedAtMicroseconds: Int64(events.count), previousHash: [], hash: []
            ))
        }

        /// Several events in one append (one command id).
        mutating func append(by actor: String, _ entries: [(String, LedgerEvent)]) {
            let command = "c-\(events.count + 1)-append"
            for (stream, event) in entries { add(stream, event, by: actor, command: command) }
        }

        /// A raw payload, as psql could have appended it before the database checked payloads.
        mutating func addRaw(_ stream: String, type: String, schemaVersion: Int = 1, payload: String, by actor: String = Fixtures.officer) {
            let version = (versions[stream] ?? 0) + 1
            versions[stream] = version
            events.append(RecordedEvent(
                position: Int64(events.count + 1), streamID: StreamID(stream), streamVersion: version, type: type,
                schemaVersion: schemaVersion, payloadJSON: payload, metadataJSON: #"{"actor": "\#(actor)"}"#,
                commandID: "c-\(events.count + 1)", recordedAtMicroseconds: Int64(events.count), previousHash: [], hash: []
            ))
        }

        /// The approval of `application` for `amount` as the approver's command appends it: the
        /// approval, the budget's reservation and the beneficiary's commitment together.
        mutating func approve(_ application: String, _ amount: VND, beneficiary: String = "HH-1", program: String = "NQ12-LATRINE",
                              budget: String = InvariantAuditTests.budgetStream, on date: String = "2024-03-10") {
            append(by: Fixtures.approver, [
                (Streams.application(application), .applicationApproved(ApplicationApproved(
                    approvedVND: amount, decisionReference: "QĐ 2", decidedOn: Fixtures.date(date)))),
                (budget, .fundsReserved(FundsReserved(applicationID: application, amountVND: amount))),
                (Streams.beneficiary(beneficiary), .benefitCommitted(BenefitCommitted(applicationID: application, program: program, amountVND: amount))),
            ])
        }

        mutating func register(_ id: String, fingerprint: String? = nil) {
            add(Streams.beneficiary(id), .beneficiaryRegistered(BeneficiaryRegistered(
                beneficiaryID: id, kind: .household, name: "Hộ \(id)", district: .ninhKieu, categories: ["poor"],
                bankAccount: "Agribank 1", nationalIDFingerprint: fingerprint
            )), by: Fixtures.officer)
        }

        func audit() -> InvariantAudit {
            var audit = InvariantAudit()
            for event in events { audit.check(event, decoded: InvariantAudit.decode(event)) }
            audit.finish()
            return audit
        }
    }

    static let budgetStream = Streams.budget(program: "NQ12-LATRINE", year: 2024, district: .ninhKieu)
    static let fingerprint = String(repeating: "ab", count: 32)

    /// Programme (cap 6,000,000, once-only), budget of 10,000,000, household HH-1, application A-1
    /// submitted by the officer and approved for 6,000,000 by the approver (positions 1…7).
    static func approved() -> Log {
        var log = Log()
        log.add(Streams.program("NQ12-LATRINE"), .programDefined(Fixtures.grant()), by: "admin")
        log.add(budgetStream, .budgetAllocated(BudgetAllocated(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu,
                                                               amountVND: 10_000_000, reference: "QĐ 1")), by: "admin")
        log.register("HH-1", fingerprint: fingerprint)
        log.add(Streams.application("A-1"), .applicationSubmitted(Fixtures.submitted()), by: Fixtures.officer)
        log.approve("A-1", 6_000_000)
        return log
    }

    @Test func aCorrectHistoryBreaksNoRule() {
        var log = Self.approved()
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 4_000_000)), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentReversed(PaymentReversed(paymentID: "P-1", amountVND: 4_000_000, reason: "bank return",
                                                                             reversedOn: Fixtures.date("2024-03-20"))), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-2", 5_000_000)), by: Fixtures.officer)
        // Closed with 1,000,000 unpaid: released to the budget and the beneficiary in the same append.
        log.append(by: Fixtures.officer, [
            (Streams.application("A-1"), .applicationClosed(ApplicationClosed(closedOn: Fixtures.date("2024-04-01"), paidVND: 5_000_000,
                                                                              releasedVND: 1_000_000))),
            (Self.budgetStream, .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 1_000_000, reason: "closed: unpaid remainder"))),
            (Streams.beneficiary("HH-1"), .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-LATRINE", amountVND: 1_000_000))),
        ])
        // The released million is available again, within the once-only cap too.
        log.add(Streams.application("A-2"), .applicationSubmitted(Fixtures.submitted(id: "A-2", requested: 1_000_000)), by: Fixtures.officer)
        log.approve("A-2", 1_000_000)
        let audit = log.audit()
        #expect(audit.violations.isEmpty, "\(audit.violations)")
        #expect(audit.eventsChecked == 17)
    }

    @Test func overpaymentIsNamedAtThePaymentThatCrossedTheApproval() {
        var log = Self.approved()
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 4_000_000)), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-2", 2_500_000)), by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.overpayment])
        #expect(violations.first?.position == 9)
        #expect(violations.first?.message.contains("6,500,000 ₫ paid out against 6,000,000 ₫ approved") == true)
    }

    @Test func payingAnApplicationThatIsNotApprovedIsNotPayable() {
        var log = Self.approved()
        log.append(by: Fixtures.officer, [
            (Streams.application("A-1"), .applicationClosed(ApplicationClosed(closedOn: Fixtures.date("2024-04-01"), paidVND: .zero,
                                                                              releasedVND: 6_000_000))),
            (Self.budgetStream, .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 6_000_000, reason: "closed"))),
            (Streams.beneficiary("HH-1"), .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-LATRINE", amountVND: 6_000_000))),
        ])
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 1_000_000)), by: Fixtures.officer)
        #expect(log.audit().violations.map(\.rule) == [.notPayable])
    }

    @Test func reservingMoreThanAllocatedOrAdjustingBelowItIsOverBudget() {
        var log = Self.approved()
        log.register("HH-2")
        log.add(Streams.application("A-9"), .applicationSubmitted(Fixtures.submitted(id: "A-9", beneficiary: "HH-2")), by: Fixtures.officer)
        log.approve("A-9", 5_000_000, beneficiary: "HH-2")
        log.add(Self.budgetStream, .budgetAdjusted(BudgetAdjusted(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu,
                                                                  deltaVND: 10_000_000, reference: "QĐ 3")), by: "admin")
        log.add(Self.budgetStream, .budgetAdjusted(BudgetAdjusted(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu,
                                                                  deltaVND: -12_000_000, reference: "QĐ 4")), by: "admin")
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.overBudget, .overBudget])
        #expect(violations.map(\.position) == [11, 14])
    }

    @Test func selfApprovalDecidingTwiceAndTheOnceOnlyCapAreNamed() {
        var log = Self.approved()
        log.add(Streams.application("A-2"), .applicationSubmitted(Fixtures.submitted(id: "A-2")), by: Fixtures.officer)
        log.add(Streams.application("A-2"), .applicationRejected(ApplicationRejected(reason: "x", decidedOn: Fixtures.date("2024-03-11"))),
                by: Fixtures.officer)
        log.approve("A-1", 1_000_000, on: "2024-03-12")
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.fourEyes, .lifecycle, .overCap])
        #expect(violations.first?.message.contains("rejected by officer_lan, who submitted it") == true)
        #expect(violations.last?.message.contains("once-only") == true && violations.last?.position == 12, "\(violations)")
    }

    @Test func aSecondBeneficiaryWithTheSameFingerprintAndAnApprovalAboveTheCap() {
        var log = Self.approved()
        log.register("HH-2", fingerprint: Self.fingerprint)
        log.add(Streams.application("A-3"), .applicationSubmitted(Fixtures.submitted(id: "A-3", beneficiary: "HH-2")), by: Fixtures.officer)
        log.approve("A-3", 7_000_000, beneficiary: "HH-2")
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.duplicateNationalID, .overCap, .overBudget, .overCap])
        #expect(violations.first?.message.contains("national id of beneficiary HH-1") == true)
    }

    @Test func theSameFingerprintInUpperCaseIsTheSamePerson() {
        var log = Self.approved()
        log.register("HH-2", fingerprint: Self.fingerprint.uppercased())
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.payloadSchema, .duplicateNationalID], "\(violations)")
        #expect(violations.allSatisfy { $0.position == 8 })
    }

    @Test func forgedReleasesAreUnpairedAndFreeNothing() {
        var log = Self.approved()
        // Positions 8 and 9: releases naming A-1, which released nothing.
        log.add(Self.budgetStream, .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 6_000_000, reason: "forged")), by: Fixtures.officer)
        log.add(Streams.beneficiary("HH-1"), .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-LATRINE", amountVND: 6_000_000)),
                by: Fixtures.officer)
        // A second approval for HH-1: the budget and the once-only cap were never freed.
        log.add(Streams.application("A-2"), .applicationSubmitted(Fixtures.submitted(id: "A-2", requested: 5_000_000)), by: Fixtures.officer)
        log.approve("A-2", 5_000_000)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.unpaired, .unpaired, .overBudget, .overCap], "\(violations)")
        #expect(violations.map(\.position) == [8, 9, 12, 13])
        #expect(violations.first?.message.contains("without the application's withdrawal or closure") == true)
    }

    @Test func anApprovalWithoutItsReservationAndACommitmentOfAnotherAmountAreUnpaired() {
        var log = Self.approved()
        log.add(Streams.application("A-2"), .applicationSubmitted(Fixtures.submitted(id: "A-2", requested: 1_000_000)), by: Fixtures.officer)
        log.append(by: Fixtures.approver, [
            (Streams.application("A-2"), .applicationApproved(ApplicationApproved(approvedVND: 1_000_000, decisionReference: "QĐ 9",
                                                                                  decidedOn: Fixtures.date("2024-03-12")))),
            (Streams.beneficiary("HH-1"), .benefitCommitted(BenefitCommitted(applicationID: "A-2", program: "NQ12-LATRINE", amountVND: 1)))
        ])
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.unpaired, .unpaired, .unpaired], "\(violations)")
        #expect(violations.map(\.position) == [9, 9, 10])
    }

    @Test func aNegativePaymentIsOutsideTheSchemaAndCountsForNothing() {
        var log = Self.approved()
        log.addRaw(Streams.application("A-1"), type: "PaymentRecorded",
                   payload: #"{"amount_vnd": -10000000, "method": "cash", "paid_on": "2024-03-15", "payment_id": "P-NEG", "voucher": "PC-1"}"#)
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 11_100_000)), by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.payloadSchema, .overpayment], "\(violations)")
        #expect(violations.map(\.position) == [8, 9])
        #expect(violations.first?.message.contains("amount_vnd is -10000000") == true)
    }

    @Test func poisonPayloadsAreNamedNeverTrap() {
        var log = Self.approved()
        let max = Int64.max
        log.addRaw(Streams.application("A-1"), type: "PaymentRecorded",
                   payload: #"{"amount_vnd": \#(max), "method": "cash", "paid_on": "2024-03-15", "payment_id": "P-MAX", "voucher": "PC-1"}"#)
        log.addRaw(Streams.application("A-1"), type: "PaymentRecorded",
                   payload: #"{"amount_vnd": \#(max), "method": "cash", "paid_on": "2024-03-15", "payment_id": "P-MAX2", "voucher": "PC-1"}"#)
        log.addRaw(Streams.application("A-1"), type: "PaymentRecorded",
                   payload: #"{"amount_vnd": 1, "method": "cash", "paid_on": "2024-02-30", "payment_id": "P-D", "voucher": "PC-1"}"#)
        log.addRaw(Streams.application("A-1"), type: "PaymentRecorded", schemaVersion: 99,
                   payload: #"{"amount_vnd": 1, "method": "cash", "paid_on": "2024-03-15", "payment_id": "P-V", "voucher": "PC-1"}"#)
        log.addRaw(Streams.beneficiary("HH-9"), type: "BeneficiaryRegistered", payload: #"{"a": 2}"#)
        log.addRaw(Streams.application("A-1"), type: "PaymentRecorded", payload: #"{"method": "cash", "paid_on": "2024-03-15", "payment_id": "P-N", "voucher": "PC-1"}"#)
        log.addRaw(Self.budgetStream, type: "BudgetAdjusted",
                   payload: #"{"delta_vnd": \#(max), "district": "ninh-kieu", "fiscal_year": 2024, "program": "NQ12-LATRINE", "reference": "x"}"#)
        // Position 15: a 12,000-level nested key beside a well-formed payment.
        let nested = String(repeating: "[", count: 12_000) + String(repeating: "]", count: 12_000)
        log.addRaw(Streams.application("A-1"), type: "PaymentRecorded",
                   payload: #"{"amount_vnd": 1, "method": "cash", "paid_on": "2024-03-15", "payment_id": "P-X", "voucher": "PC-1", "x": \#(nested)}"#)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.payloadSchema, .payloadSchema, .unreadable, .unreadable, .unreadable, .unreadable, .payloadSchema,
                                          .unreadable], "\(violations.map(\.rule))")
        #expect(violations.map(\.position) == Array(8...15))
        #expect(violations[3].message.contains("schema version 99"), "\(violations[3])")
    }

    @Test func sumsThatDoNotFitIn64BitsAreReportedAsOverflow() {
        var log = Log()
        // 9,300 allocations of 10^15 each: every one in range, their sum not.
        for index in 0..<9_300 {
            log.add(Self.budgetStream, .budgetAllocated(BudgetAllocated(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu,
                                                                        amountVND: VND(VND.maximumMagnitude), reference: "QĐ \(index)")), by: "admin")
        }
        let violations = log.audit().violations
        #expect(violations.first?.rule == .overflow && violations.first?.position == 9_224, "\(violations.prefix(2))")
    }

    /// A loan programme with budget, person P-1 and application A-L approved for 100,000,000
    /// (positions 1…7).
    static func approvedLoan() -> Log {
        var log = Log()
        let budget = Streams.budget(program: "NQ11-OVERSEAS-LOAN", year: 2024, district: .ninhKieu)
        log.add(Streams.program("NQ11-OVERSEAS-LOAN"), .programDefined(Fixtures.overseasLoan), by: "admin")
        log.add(budget, .budgetAllocated(BudgetAllocated(program: "NQ11-OVERSEAS-LOAN", fiscalYear: 2024, district: .ninhKieu,
                                                         amountVND: 1_000_000_000, reference: "QĐ 1")), by: "admin")
        log.register("P-1")
        log.add(Streams.application("A-L"), .applicationSubmitted(Fixtures.submitted(
            id: "A-L", beneficiary: "P-1", program: "NQ11-OVERSEAS-LOAN", requested: 100_000_000)), by: Fixtures.officer)
        log.approve("A-L", 100_000_000, beneficiary: "P-1", program: "NQ11-OVERSEAS-LOAN", budget: budget)
        return log
    }

    static let disbursed = LoanDisbursed(loanID: "L-1", applicationID: "A-L", beneficiaryID: "P-1", program: "NQ11-OVERSEAS-LOAN",
                                         principalVND: 100_000_000, disbursedOn: Fixtures.date("2024-04-01"), termMonths: 12,
                                         instalmentMonths: 3, overdueMultiplierPercent: 130)

    /// `approvedLoan()` with loan L-1 disbursed (positions 8, 9).
    static func disbursedLoan(_ disbursed: LoanDisbursed = disbursed) -> Log {
        var log = approvedLoan()
        log.append(by: Fixtures.officer, [
            (Streams.loan(disbursed.loanID), .loanDisbursed(disbursed)),
            (Streams.application("A-L"), .loanOpened(LoanOpened(loanID: disbursed.loanID, principalVND: disbursed.principalVND,
                                                                 disbursedOn: disbursed.disbursedOn))),
        ])
        return log
    }

    @Test func aRepaymentAllocatedOutOfOrderIsNamedAndTheRightOneIsNot() throws {
        let log = Self.disbursedLoan()
        // What the domain itself decides for a repayment on 1 July: correct by construction.
        let loan = LoanState(loanID: "L-1").folded([.loanDisbursed(Self.disbursed)], actor: Fixtures.officer)
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
        #expect(violations.first?.position == 10 && violations.first?.message.contains("fixed order") == true)

        // Parts that do not add up to the amount.
        let unbalanced = LoanRepaid(repaymentID: "R-1", amountVND: 27_000_000, paidOn: repaid.paidOn, overdueInterestVND: .zero,
                                    interestVND: .zero, overduePrincipalVND: .zero, principalDueVND: 25_000_000, prepaidPrincipalVND: .zero,
                                    outstandingPrincipalAfterVND: 75_000_000)
        var worse = log
        worse.add(Streams.loan("L-1"), .loanRepaid(unbalanced), by: Fixtures.officer)
        #expect(worse.audit().violations.map(\.message).first?.contains("must add up to the amount") == true)
    }

    @Test func aLoanSettledWithPrincipalOutstandingOrWrittenOffForLessIsNamed() {
        var settled = Self.disbursedLoan()
        settled.add(Streams.loan("L-1"), .loanSettled(LoanSettled(settledOn: Fixtures.date("2024-05-01"))), by: Fixtures.officer)
        let violations = settled.audit().violations
        #expect(violations.map(\.rule) == [.lifecycle] && violations.first?.position == 10, "\(violations)")
        #expect(violations.first?.message.contains("settled with 100,000,000 ₫ principal outstanding") == true)

        var writtenOff = Self.disbursedLoan()
        writtenOff.add(Streams.loan("L-1"), .loanWrittenOff(LoanWrittenOff(reason: "x", writtenOffOn: Fixtures.date("2024-05-01"),
                                                                            outstandingPrincipalVND: 1, unpaidInterestVND: .zero)), by: Fixtures.approver)
        #expect(writtenOff.audit().violations.map(\.rule) == [.lifecycle])
    }

    @Test func aLoanOnOtherTermsThanTheProgrammesIsNamed() {
        let longer = LoanDisbursed(loanID: "L-1", applicationID: "A-L", beneficiaryID: "P-1", program: "NQ11-OVERSEAS-LOAN",
                                   principalVND: 100_000_000, disbursedOn: Fixtures.date("2024-04-01"), termMonths: 600,
                                   instalmentMonths: 3, overdueMultiplierPercent: 100)
        let violations = Self.disbursedLoan(longer).audit().violations
        #expect(violations.map(\.rule) == [.loanTerms] && violations.first?.position == 8, "\(violations)")
        #expect(violations.first?.message.contains("a term of 600 months (the programme lends for 1…60)") == true)
        #expect(violations.first?.message.contains("an overdue multiplier of 100%") == true)
    }

    @Test func aLoanDisbursedWithoutItsOpeningIsUnpairedAndOverLendingIsOverpayment() {
        var log = Self.approvedLoan()
        log.add(Streams.loan("L-1"), .loanDisbursed(Self.disbursed), by: Fixtures.officer)
        log.append(by: Fixtures.officer, [
            (Streams.loan("L-2"), .loanDisbursed(LoanDisbursed(loanID: "L-2", applicationID: "A-L", beneficiaryID: "P-1", program: "NQ11-OVERSEAS-LOAN",
                                                               principalVND: 150_000_000, disbursedOn: Fixtures.date("2024-04-01"), termMonths: 12,
                                                               instalmentMonths: 3, overdueMultiplierPercent: 130))),
            (Streams.application("A-L"), .loanOpened(LoanOpened(loanID: "L-2", principalVND: 150_000_000, disbursedOn: Fixtures.date("2024-04-01")))),
        ])
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.unpaired, .overpayment], "\(violations)")
        #expect(violations.map(\.position) == [8, 10])
    }

    @Test func closuresWithdrawalsAndPaymentIDsWithOtherFiguresAreNamed() {
        var log = Self.approved()
        log.add(Streams.application("A-1"), .paymentRecorded(Fixtures.payment("P-1", 2_000_000)), by: Fixtures.officer)
        // Positions 9-11: closed releasing the whole approval although 2,000,000 was paid.
        log.append(by: Fixtures.officer, [
            (Streams.application("A-1"), .applicationClosed(ApplicationClosed(closedOn: Fixtures.date("2024-04-01"), paidVND: 2_000_000,
                                                                              releasedVND: 6_000_000))),
            (Self.budgetStream, .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 6_000_000, reason: "closed"))),
            (Streams.beneficiary("HH-1"), .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-LATRINE", amountVND: 6_000_000))),
        ])
        // Position 12-13: A-2 submitted, then withdrawn before approval but releasing money.
        log.add(Streams.application("A-2"), .applicationSubmitted(Fixtures.submitted(id: "A-2", requested: 1_000_000)), by: Fixtures.officer)
        log.add(Streams.application("A-2"), .applicationWithdrawn(ApplicationWithdrawn(reason: "x", withdrawnOn: Fixtures.date("2024-03-12"),
                                                                                       releasedVND: 1_000_000)), by: Fixtures.officer)
        // Position 14: P-1 again, on another application.
        log.add(Streams.application("A-2"), .paymentRecorded(Fixtures.payment("P-1", 1)), by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.lifecycle, .lifecycle, .unpaired, .unpaired, .notPayable, .lifecycle], "\(violations)")
        #expect(violations.map(\.position) == [9, 13, 13, 13, 14, 14])
        #expect(violations.first?.message.contains("closed releasing 6,000,000 ₫, but 4,000,000 ₫ of its approval was unpaid") == true)
        #expect(violations.last?.message.contains("payment id P-1 was already used") == true)
    }

    @Test func textsWithoutAVisibleCharacterOrWithAnOverrideAreOutsideTheSchema() {
        var log = Self.approved()
        log.add(Streams.beneficiary("HH-2"), .beneficiaryRegistered(BeneficiaryRegistered(
            beneficiaryID: "HH-2", kind: .household, name: "\u{200B}", district: .ninhKieu, categories: ["poor"],
            bankAccount: nil, nationalIDFingerprint: nil)), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(PaymentRecorded(
            paymentID: "P-1", amountVND: 1_000, paidOn: Fixtures.date("2024-03-15"), method: .cash, voucher: "PC-\u{202E}1", bankAccount: nil)),
                by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(PaymentRecorded(
            paymentID: "P-2", amountVND: 1_000, paidOn: Fixtures.date("2024-03-15"), method: .cash, voucher: "Phiếu chi số 2", bankAccount: nil)),
                by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.payloadSchema, .payloadSchema], "\(violations)")
        #expect(violations.map(\.position) == [8, 9])
    }

    @Test func anUnreadablePayloadIsReportedNotSkipped() {
        var log = Self.approved()
        log.addRaw("application-A-1", type: "PaymentRecorded", payload: #"{"amount_vnd": "lots"}"#)
        #expect(log.audit().violations.map(\.rule) == [.unreadable])
    }
}
