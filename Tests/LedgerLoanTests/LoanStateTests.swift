import Foundation
import Testing
@testable import Ledger

@Suite("Loan state and events")
struct LoanStateTests {
    /// The two carried-forward fields survive the log's JSON form (snake_case, `_vnd` suffix).
    @Test func loanRepaidRoundTripsThroughTheEventCoding() throws {
        let repaid = LoanRepaid(
            repaymentID: "B-3", amountVND: 100_000, paidOn: day("2024-11-29"), overdueInterestVND: 0, interestVND: 100_000,
            overduePrincipalVND: 0, principalDueVND: 0, prepaidPrincipalVND: 0, outstandingPrincipalAfterVND: 29_000_000,
            unpaidOverdueInterestAfterVND: 1, unpaidInterestAfterVND: 57_315
        )
        let json = String(decoding: try LedgerEvent.encoder.encode(repaid), as: UTF8.self)
        #expect(json.contains("\"unpaid_interest_after_vnd\":57315"))
        #expect(json.contains("\"unpaid_overdue_interest_after_vnd\":1"))
        let decoded = try LedgerEvent.decode(type: "LoanRepaid", schemaVersion: 1, payloadJSON: json)
        #expect(decoded == .loanRepaid(repaid))
    }

    @Test func foldTracksPrincipalInterestAndStatus() throws {
        var loan = try disbursedLoan(id: "L-9", principalVND: 60_000_000, on: day("2024-03-15"), termMonths: 12)
        #expect(loan.loanID == "L-9")
        #expect(loan.version == 1)
        #expect(loan.status == .active)
        #expect(loan.lastAccrualDate == day("2024-03-15"))
        loan = try repaying(loan, 15_998_137, on: day("2024-06-15"), id: "B-1").loan
        loan = try repaying(loan, 17_151_383, on: day("2024-10-30"), id: "B-2").loan
        #expect(loan.version == 3)
        #expect(loan.principalRepaidVND == 31_000_000)
        #expect(loan.outstandingPrincipalVND == 29_000_000)
        #expect(loan.principalRepaidPerInstalmentVND == [15_000_000, 15_000_000, 1_000_000, 0])
        #expect(loan.interestPaidVND == 1_990_849) // 998,137 + 992,712
        #expect(loan.overdueInterestPaidVND == 158_671)
        #expect(loan.lastAccrualDate == day("2024-10-30"))
        // Events of other streams' types are ignored.
        var unchanged = loan
        unchanged.apply(.loanOpened(LoanOpened(loanID: "L-9", principalVND: 1, disbursedOn: day("2024-01-01"))))
        #expect(unchanged == loan)
    }

    @Test func streamIDNamesTheLoan() {
        #expect(LoanState(streamID: "loan-ABC-1").loanID == "ABC-1")
        #expect(LoanState(streamID: "loan-ABC-1").status == .notDisbursed)
    }
}
