import Testing
@testable import Ledger

@Suite("Loan position: days past due and arrears buckets")
struct LoanPositionTests {
    /// Loan (b) with only instalment 1 paid: instalment 2 of 15,000,000 ₫ falls due 2024-09-15.
    /// Days past due count from the earliest unpaid due date; the due date itself is 0.
    @Test(arguments: [
        ("2024-09-14", 0, ArrearsBucket.current),
        ("2024-09-15", 0, ArrearsBucket.current),
        ("2024-09-16", 1, ArrearsBucket.days1To30),
        ("2024-10-15", 30, ArrearsBucket.days1To30),
        ("2024-10-16", 31, ArrearsBucket.days31To90),
        ("2024-12-14", 90, ArrearsBucket.days31To90),
        ("2024-12-15", 91, ArrearsBucket.days91To180),
        ("2025-03-14", 180, ArrearsBucket.days91To180),
        ("2025-03-15", 181, ArrearsBucket.over180Days),
    ])
    func daysPastDueAndBucket(date: String, days: Int, bucket: ArrearsBucket) throws {
        var loan = try disbursedLoan(principalVND: 60_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 15_998_137, on: day("2024-06-15"), id: "B-1").loan
        let position = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day(date))
        #expect(position.daysPastDue == days)
        #expect(position.arrearsBucket == bucket)
        #expect(position.earliestUnpaidDueOn == (days > 0 ? day("2024-09-15") : nil))
    }

    /// On 2024-12-16 instalments 2 and 3 are overdue (30,000,000 ₫); instalment 4 is the principal due.
    @Test func overduePrincipalCountsEveryInstalmentDueBeforeTheDate() throws {
        var loan = try disbursedLoan(principalVND: 60_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 15_998_137, on: day("2024-06-15"), id: "B-1").loan
        let position = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-12-16"))
        #expect(position.overduePrincipalVND == 30_000_000)
        #expect(position.principalDueVND == 15_000_000)
        #expect(position.laterPrincipalVND == 0)
        #expect(position.outstandingPrincipalVND == 45_000_000)
        #expect(position.daysPastDue == 92)
        // After maturity everything is overdue and nothing is "due".
        let late = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2025-04-01"))
        #expect(late.overduePrincipalVND == 45_000_000)
        #expect(late.principalDueVND == 0)
    }

    @Test func bucketBoundaries() {
        #expect(ArrearsBucket(daysPastDue: 0) == .current)
        #expect(ArrearsBucket(daysPastDue: 1) == .days1To30)
        #expect(ArrearsBucket(daysPastDue: 30) == .days1To30)
        #expect(ArrearsBucket(daysPastDue: 31) == .days31To90)
        #expect(ArrearsBucket(daysPastDue: 90) == .days31To90)
        #expect(ArrearsBucket(daysPastDue: 91) == .days91To180)
        #expect(ArrearsBucket(daysPastDue: 180) == .days91To180)
        #expect(ArrearsBucket(daysPastDue: 181) == .over180Days)
        #expect(ArrearsBucket.current < .over180Days)
    }

    @Test func positionOfAWrittenOffLoanPointsToTheRecordedFigures() throws {
        var loan = try disbursedLoan(principalVND: 60_000_000, on: day("2024-03-15"), termMonths: 12)
        let decision = try LoanDecisions.writeOff(loan: loan, terms: quarterlyTerms(), reason: "deceased", on: day("2024-04-15"))
        loan = applying(decision, to: loan)
        let error = expectRefusal(.wrongStatus) {
            try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-05-01"))
        }
        #expect(error?.message.contains("written off on 2024-04-15") == true)
    }
}
