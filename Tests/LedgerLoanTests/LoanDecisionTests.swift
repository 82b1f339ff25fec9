import Testing
@testable import Ledger

@Suite("Loan decisions")
struct LoanDecisionTests {
    // MARK: disburse

    @Test func disbursementAppendsToTheLoanAndTheApplication() throws {
        let decision = try LoanDecisions.disburse(
            application: approvedApplication(), terms: quarterlyTerms(), loan: LoanState(loanID: "L-1"), loanID: "L-1",
            principalVND: 120_000_000, disbursedOn: day("2024-03-15"), termMonths: 12
        )
        #expect(decision.streams == [
            StreamEvents(stream: "loan-L-1", expectedVersion: 0, events: [.loanDisbursed(LoanDisbursed(
                loanID: "L-1", applicationID: "APP-1", beneficiaryID: "BEN-1", program: "NQ11-OVERSEAS-LOAN", principalVND: 120_000_000,
                disbursedOn: day("2024-03-15"), termMonths: 12, instalmentMonths: 3, overdueMultiplierPercent: 130
            ))]),
            StreamEvents(stream: "application-APP-1", expectedVersion: 2, events: [
                .loanOpened(LoanOpened(loanID: "L-1", principalVND: 120_000_000, disbursedOn: day("2024-03-15"))),
            ]),
        ])
        #expect(decision.alreadyDone == false)
    }

    @Test func sameDisbursementAgainIsAlreadyDoneAndADifferentOneIsRefused() throws {
        let loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        // The application now shows the principal as already disbursed: the retry must still be recognised.
        let retry = try LoanDecisions.disburse(
            application: approvedApplication(alreadyDisbursedVND: 120_000_000), terms: quarterlyTerms(), loan: loan, loanID: "L-1",
            principalVND: 120_000_000, disbursedOn: day("2024-03-15"), termMonths: 12
        )
        #expect(retry.alreadyDone)
        #expect(retry.streams.isEmpty)
        let error = expectRefusal(.alreadyExists) {
            try LoanDecisions.disburse(
                application: approvedApplication(), terms: quarterlyTerms(), loan: loan, loanID: "L-1",
                principalVND: 100_000_000, disbursedOn: day("2024-03-15"), termMonths: 12
            )
        }
        #expect(error?.field == "--loan-id")
    }

    @Test func disbursingAnUnapprovedApplicationIsRefused() {
        let error = expectRefusal(.wrongStatus) {
            try LoanDecisions.disburse(
                application: approvedApplication(status: .submitted), terms: quarterlyTerms(), loan: LoanState(loanID: "L-1"),
                loanID: "L-1", principalVND: 1_000_000, disbursedOn: day("2024-03-15"), termMonths: 12
            )
        }
        #expect(error?.message.contains("submitted") == true)
    }

    @Test func disbursingAGrantApplicationIsRefused() {
        expectRefusal(.notEligible) {
            try LoanDecisions.disburse(
                application: approvedApplication(kind: .grant), terms: quarterlyTerms(), loan: LoanState(loanID: "L-1"),
                loanID: "L-1", principalVND: 1_000_000, disbursedOn: day("2024-03-15"), termMonths: 12
            )
        }
    }

    /// Approved 150,000,000, of which 100,000,000 was disbursed: 60,000,000 more is over the cap.
    @Test func principalAboveWhatIsLeftOfTheApprovalIsRefused() {
        let error = expectRefusal(.overCap) {
            try LoanDecisions.disburse(
                application: approvedApplication(alreadyDisbursedVND: 100_000_000), terms: quarterlyTerms(), loan: LoanState(loanID: "L-2"),
                loanID: "L-2", principalVND: 60_000_000, disbursedOn: day("2024-03-15"), termMonths: 12
            )
        }
        #expect(error?.message.contains("50,000,000 ₫ still available") == true)
        expectRefusal(.invalidInput) {
            try LoanDecisions.disburse(
                application: approvedApplication(), terms: quarterlyTerms(), loan: LoanState(loanID: "L-2"),
                loanID: "L-2", principalVND: 0, disbursedOn: day("2024-03-15"), termMonths: 12
            )
        }
    }

    @Test(arguments: [0, 10, 63, -3])
    func termOutsideTheProgrammeOrNotWholeInstalmentsIsRefused(termMonths: Int) {
        let error = expectRefusal(.invalidInput) {
            try LoanDecisions.disburse(
                application: approvedApplication(), terms: quarterlyTerms(), loan: LoanState(loanID: "L-1"),
                loanID: "L-1", principalVND: 1_000_000, disbursedOn: day("2024-03-15"), termMonths: termMonths
            )
        }
        #expect(error?.field == "--term-months")
    }

    @Test func disbursementBeforeTheApprovalIsRefused() {
        let error = expectRefusal(.invalidInput) {
            try LoanDecisions.disburse(
                application: approvedApplication(decidedOn: day("2024-03-01")), terms: quarterlyTerms(), loan: LoanState(loanID: "L-1"),
                loanID: "L-1", principalVND: 1_000_000, disbursedOn: day("2024-02-29"), termMonths: 12
            )
        }
        #expect(error?.field == "--disbursed-on")
    }

    @Test func disbursementWithNoRateInForceIsRefused() {
        let error = expectRefusal(.invalidInput) {
            try LoanDecisions.disburse(
                application: approvedApplication(decidedOn: day("2023-06-01")), terms: quarterlyTerms(), loan: LoanState(loanID: "L-1"),
                loanID: "L-1", principalVND: 1_000_000, disbursedOn: day("2023-12-31"), termMonths: 12
            )
        }
        #expect(error?.field == "--disbursed-on")
    }

    // MARK: repay

    /// On 2024-06-15 loan (a) owes 1,996,274 interest + 120,000,000 principal = 121,996,274.
    @Test func repayingMoreThanOwedIsRefusedNamingWhatIsOwed() throws {
        let loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        let error = expectRefusal(.repaymentExceedsOwed) {
            try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-1", amountVND: 121_996_275, paidOn: day("2024-06-15"))
        }
        #expect(error?.message.contains("121,996,275 ₫") == true)
        #expect(error?.message.contains("121,996,274 ₫ owed") == true)
        let exact = try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-1", amountVND: 121_996_274, paidOn: day("2024-06-15"))
        #expect(loanEvents(exact).count == 2) // LoanRepaid + LoanSettled
    }

    @Test(arguments: [VND(0), VND(-5)])
    func nonPositiveRepaymentIsRefused(amount: VND) throws {
        let loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        let error = expectRefusal(.invalidInput) {
            try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-1", amountVND: amount, paidOn: day("2024-06-15"))
        }
        #expect(error?.field == "--amount")
    }

    @Test func repaymentDatedBeforeTheLastRepaymentOrTheDisbursementIsRefused() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        var error = expectRefusal(.outOfOrder) {
            try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-1", amountVND: 1_000, paidOn: day("2024-03-14"))
        }
        #expect(error?.field == "--paid-on")
        // 03-15 → 05-01 = 47 days: 120,000,000 × 660 × 47 / 3,650,000 = 1,019,835.61… → 1,019,836 interest.
        let first = try repaying(loan, 2_000_000, on: day("2024-05-01"), id: "R-1")
        #expect(first.repaid.interestVND == 1_019_836)
        #expect(first.repaid.principalDueVND == 980_164)
        loan = first.loan
        error = expectRefusal(.outOfOrder) {
            try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-2", amountVND: 1_000, paidOn: day("2024-04-30"))
        }
        #expect(error?.message.contains("last repaid") == true)
        // The same day as the last repayment is fine: no interest has accrued since.
        let sameDay = try repaying(loan, 1_000, on: day("2024-05-01"), id: "R-2")
        #expect(sameDay.repaid.interestVND == 0)
        #expect(sameDay.repaid.principalDueVND == 1_000)
    }

    @Test func repaymentOnASettledLoanIsRefused() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 121_996_274, on: day("2024-06-15"), id: "R-1").loan
        #expect(loan.status == .settled)
        let error = expectRefusal(.wrongStatus) {
            try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-2", amountVND: 1, paidOn: day("2024-06-16"))
        }
        #expect(error?.message.contains("settled on 2024-06-15") == true)
    }

    @Test func sameRepaymentIDIsAlreadyDoneWithSameContentAndRefusedWithOther() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 121_996_274, on: day("2024-06-15"), id: "R-1").loan
        // A retry of the settling repayment after settlement is still recognised.
        let retry = try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-1", amountVND: 121_996_274, paidOn: day("2024-06-15"))
        #expect(retry.alreadyDone)
        #expect(retry.streams.isEmpty)
        expectRefusal(.conflictingDuplicate) {
            try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-1", amountVND: 5_000_000, paidOn: day("2024-06-15"))
        }
    }

    @Test func repayingAnUndisbursedLoanIsRefused() {
        expectRefusal(.unknownLoan) {
            try LoanDecisions.repay(loan: LoanState(loanID: "NOPE"), terms: quarterlyTerms(), repaymentID: "R-1", amountVND: 1, paidOn: day("2024-06-15"))
        }
    }

    /// Repayments append at the version the loan was read at (optimistic concurrency).
    @Test func repaymentExpectsTheLoanVersionItRead() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 1_000_000, on: day("2024-04-01"), id: "R-1").loan
        let decision = try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "R-2", amountVND: 1_000, paidOn: day("2024-04-02"))
        #expect(decision.streams.map(\.expectedVersion) == [2])
    }

    // MARK: write off

    @Test func writeOffOfASettledLoanOrWithoutAReasonIsRefused() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        let error = expectRefusal(.invalidInput) {
            try LoanDecisions.writeOff(loan: loan, terms: quarterlyTerms(), reason: "  ", on: day("2024-06-15"))
        }
        #expect(error?.field == "--reason")
        loan = try repaying(loan, 121_996_274, on: day("2024-06-15"), id: "R-1").loan
        expectRefusal(.wrongStatus) {
            try LoanDecisions.writeOff(loan: loan, terms: quarterlyTerms(), reason: "emigrated", on: day("2024-07-01"))
        }
    }
}
