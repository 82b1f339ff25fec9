import Ledger
import Testing

private let date = Fixtures.date

@Suite struct PaymentRecordingTests {
    static func record(
        application: ApplicationState = Fixtures.approvedApplication(), program: ProgramState = Fixtures.latrine,
        beneficiary: BeneficiaryState = Fixtures.beneficiary(), paymentID: String = "P-1", amount: VND = 5_000_000,
        on paidOn: String = "2024-03-15", method: PaymentMethod = .cash, voucher: String = "PC-1"
    ) throws -> Decision {
        try ApplicationDecisions.recordPayment(
            application: application, program: program, beneficiary: beneficiary, paymentID: paymentID, amount: amount,
            paidOn: date(paidOn), method: method, voucher: voucher
        )
    }

    @Test func aCashPaymentIsRecordedWithoutABankAccount() throws {
        let decision = try Self.record()
        #expect(decision.streams == [StreamEvents(stream: "application-A-1", expectedVersion: 2, events: [
            .paymentRecorded(PaymentRecorded(paymentID: "P-1", amountVND: 5_000_000, paidOn: date("2024-03-15"), method: .cash, voucher: "PC-1", bankAccount: nil)),
        ])])
        #expect(decision.summary.contains("1,000,000 ₫ of 6,000,000 ₫ remaining"))
    }

    @Test func aBankPaymentCopiesTheBeneficiarysAccount() throws {
        let decision = try Self.record(beneficiary: Fixtures.beneficiary(bankAccount: "VCB 0071000412345"), method: .bank, voucher: " UNC 12 ")
        #expect(decision.streams.first?.events == [
            .paymentRecorded(PaymentRecorded(paymentID: "P-1", amountVND: 5_000_000, paidOn: date("2024-03-15"), method: .bank, voucher: "UNC 12", bankAccount: "VCB 0071000412345")),
        ])
    }

    @Test func aBankPaymentToABeneficiaryWithoutAnAccountIsRefused() throws {
        let error = try #require(refusal { try Self.record(beneficiary: Fixtures.beneficiary(bankAccount: nil), method: .bank) })
        #expect(error.code == .noBankAccount)
        #expect(error.field == "method")
        #expect(error.message.contains("no bank account"))
    }

    @Test func theSamePaymentRecordedAgainIsAlreadyDone() throws {
        let application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-1", 5_000_000)])
        let decision = try Self.record(application: application)
        #expect(decision.alreadyDone)
        #expect(decision.streams.isEmpty)
    }

    @Test func theSamePaymentIdWithAnotherAmountIsRefused() throws {
        let application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-1", 5_000_000, on: "2024-03-01")])
        let error = try #require(refusal { try Self.record(application: application, amount: 4_000_000) })
        #expect(error.code == .conflictingDuplicate)
        #expect(error.message.contains("payment P-1 was already recorded for 5,000,000 ₫ on 2024-03-01"))
    }

    @Test func theSamePaymentIsAlreadyDoneEvenAfterTheApplicationWasClosed() throws {
        let closed = ApplicationFixtures.application(in: .closed)
        let decision = try Self.record(application: closed, amount: 4_000_000)
        #expect(decision.alreadyDone)
    }

    @Test func paymentAboveApprovedAmountIsRefused() throws {
        let application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-0", 4_000_000)])
        let error = try #require(refusal { try Self.record(application: application, amount: 3_000_000) })
        #expect(error.code == .overpayment)
        #expect(error.field == "amount_vnd")
        #expect(error.message.contains("6,000,000 ₫ approved"))
        #expect(error.message.contains("4,000,000 ₫ already paid"))
        #expect(error.message.contains("2,000,000 ₫ remaining"))
    }

    @Test func payingExactlyTheRemainderIsAllowed() throws {
        let application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-0", 4_000_000)])
        #expect(try Self.record(application: application, amount: 2_000_000).streams.count == 1)
    }

    @Test func aReversedPaymentMayBePaidAgain() throws {
        var application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-0", 6_000_000)])
        #expect(refusal { try Self.record(application: application, amount: 1) }?.code == .overpayment)
        application = Fixtures.after(application, application.streamID, try ApplicationDecisions.reversePayment(
            application: application, paymentID: "P-0", reason: "account closed", reversedOn: date("2024-03-20")
        ), actor: Fixtures.officer)
        #expect(application.remainingPayable == 6_000_000)
        #expect(try Self.record(application: application, amount: 6_000_000, on: "2024-03-25").streams.count == 1)
    }

    @Test(arguments: [ApplicationStatus.submitted, .rejected, .withdrawn, .closed])
    func onlyApprovedOpenApplicationsArePaid(status: ApplicationStatus) throws {
        let error = try #require(refusal { try Self.record(application: ApplicationFixtures.application(in: status), paymentID: "P-9") })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("is \(status.rawValue)"))
        #expect(error.message.contains("only on approved applications that are not closed"))
    }

    @Test func aLoanProgrammeIsNotPaidByPayments() throws {
        let application = Fixtures.application("A-1", [
            .applicationSubmitted(Fixtures.submitted(beneficiary: "P-1", program: "NQ11-OVERSEAS-LOAN", requested: 100_000_000)),
            .applicationApproved(ApplicationApproved(approvedVND: 100_000_000, decisionReference: "QĐ 7", decidedOn: date("2024-03-10"))),
        ])
        let error = try #require(refusal {
            try Self.record(application: application, program: Fixtures.program(Fixtures.overseasLoan), beneficiary: Fixtures.beneficiary(id: "P-1", kind: .person))
        })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("loan programme"))
    }

    @Test func aPaymentDatedBeforeTheApprovalIsRefused() throws {
        let error = try #require(refusal { try Self.record(on: "2024-03-09") })
        #expect(error.code == .outsideProgramWindow)
        #expect(error.message.contains("2024-03-09 is before the approval"))
        #expect(error.message.contains("2024-03-10"))
    }

    @Test func aPaymentAfterTheProgrammeEndedIsRefused() throws {
        let error = try #require(refusal { try Self.record(on: "2026-01-02") })
        #expect(error.code == .outsideProgramWindow)
        #expect(error.message.contains("valid from 2024-01-01 to 2025-12-31"))
        #expect(error.message.contains("2026-01-02"))
    }

    @Test(arguments: [
        ("P 1", VND(1), "PC-1", "payment_id"),
        ("P-1", VND(0), "PC-1", "amount_vnd"),
        ("P-1", VND(-1), "PC-1", "amount_vnd"),
        ("P-1", VND(1), "", "voucher"),
        ("P-1", VND(1), String(repeating: "v", count: 101), "voucher"),
    ])
    func badPaymentDetailsAreRefusedNamingTheColumn(paymentID: String, amount: VND, voucher: String, field: String) throws {
        let error = try #require(refusal { try Self.record(paymentID: paymentID, amount: amount, voucher: voucher) })
        #expect(error.code == .invalidInput)
        #expect(error.field == field)
    }

    @Test func aVoucherOfExactlyOneHundredCharactersIsAccepted() throws {
        #expect(try Self.record(voucher: String(repeating: "v", count: 100)).streams.count == 1)
    }

    @Test func payingAnApplicationNeverSubmittedIsRefused() throws {
        let error = try #require(refusal { try Self.record(application: ApplicationState(streamID: "application-A-1")) })
        #expect(error.code == .unknownApplication)
    }
}

@Suite struct PaymentReversalTests {
    static let paid = Fixtures.approvedApplication(payments: [Fixtures.payment("P-1", 5_000_000, method: .bank)])

    @Test func aReversalRecordsThePaymentsAmount() throws {
        let decision = try ApplicationDecisions.reversePayment(application: Self.paid, paymentID: "P-1", reason: " account closed ", reversedOn: date("2024-03-20"))
        #expect(decision.streams == [StreamEvents(stream: "application-A-1", expectedVersion: 3, events: [
            .paymentReversed(PaymentReversed(paymentID: "P-1", amountVND: 5_000_000, reason: "account closed", reversedOn: date("2024-03-20"))),
        ])])
        #expect(decision.summary.contains("6,000,000 ₫ may be paid again"))
    }

    @Test func reversingAnUnknownPaymentIsRefused() throws {
        let error = try #require(refusal {
            try ApplicationDecisions.reversePayment(application: Self.paid, paymentID: "P-9", reason: "x", reversedOn: date("2024-03-20"))
        })
        #expect(error.code == .unknownPayment)
        #expect(error.message.contains("no payment P-9"))
    }

    @Test func reversingAgainWithTheSameReasonIsAlreadyDoneAndWithAnotherIsRefused() throws {
        let reversed = Fixtures.after(Self.paid, Self.paid.streamID, try ApplicationDecisions.reversePayment(
            application: Self.paid, paymentID: "P-1", reason: "account closed", reversedOn: date("2024-03-20")
        ), actor: Fixtures.officer)
        let again = try ApplicationDecisions.reversePayment(application: reversed, paymentID: "P-1", reason: "account closed", reversedOn: date("2024-03-21"))
        #expect(again.alreadyDone)
        #expect(again.streams.isEmpty)
        let error = try #require(refusal {
            try ApplicationDecisions.reversePayment(application: reversed, paymentID: "P-1", reason: "wrong account", reversedOn: date("2024-03-21"))
        })
        #expect(error.code == .conflictingDuplicate)
        #expect(error.message.contains("already reversed on 2024-03-20"))
    }

    @Test func aClosedApplicationsPaymentsCannotBeReversed() throws {
        let error = try #require(refusal {
            try ApplicationDecisions.reversePayment(application: ApplicationFixtures.application(in: .closed), paymentID: "P-1", reason: "x", reversedOn: date("2024-07-01"))
        })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("closed on 2024-06-30"))
    }

    @Test func aReversalDatedBeforeThePaymentIsRefused() throws {
        let error = try #require(refusal {
            try ApplicationDecisions.reversePayment(application: Self.paid, paymentID: "P-1", reason: "x", reversedOn: date("2024-03-14"))
        })
        #expect(error.field == "reversed_on")
    }

    @Test func aReversalNeedsAReason() throws {
        let error = try #require(refusal {
            try ApplicationDecisions.reversePayment(application: Self.paid, paymentID: "P-1", reason: "  ", reversedOn: date("2024-03-20"))
        })
        #expect(error.field == "reason")
    }
}
