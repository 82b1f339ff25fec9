import Testing
@testable import Ledger

/// Loans whose every figure was worked out by hand (the arithmetic is in the comments and in
/// docs/loans.md). One day's interest is principal × bps / 10,000 / 365, so interest over a span
/// is principal × bps × days / 3,650,000 đồng; overdue interest multiplies by 130 / 100, i.e.
/// charges 660 × 1.3 = 858 bps. Sums are exact; each repayment rounds half up once.
@Suite("Golden loans")
struct GoldenLoanTests {
    // MARK: (a) on time

    /// 120,000,000 ₫ on 2024-03-15 for 12 months, quarterly at 6.60 %: four instalments of
    /// 30,000,000 ₫ due 2024-06-15, 2024-09-15, 2024-12-15, 2025-03-15, each paid on its due date.
    @Test func onTimeLoanPaysExactInterestOnEachDueDate() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        #expect(loan.schedule?.instalments.map(\.dueOn) == [day("2024-06-15"), day("2024-09-15"), day("2024-12-15"), day("2025-03-15")])
        #expect(loan.schedule?.instalments.map(\.principalVND) == [30_000_000, 30_000_000, 30_000_000, 30_000_000])

        // 03-15 → 06-15 = 16 + 30 + 31 + 15 = 92 days on 120,000,000:
        // 120,000,000 × 660 × 92 / 3,650,000 = 7,286,400,000,000 / 3,650,000 = 1,996,273.97… → 1,996,274
        // 06-15 → 09-15 = 92 days on 90,000,000: 5,464,800,000,000 / 3,650,000 = 1,497,205.47… → 1,497,205
        // 09-15 → 12-15 = 91 days on 60,000,000: 3,603,600,000,000 / 3,650,000 = 987,287.67… → 987,288
        // 12-15 → 03-15 = 16 + 31 + 28 + 15 = 90 days on 30,000,000: 1,782,000,000,000 / 3,650,000 = 488,219.17… → 488,219
        let expected: [(String, VND, VND)] = [
            ("2024-06-15", 1_996_274, 90_000_000),
            ("2024-09-15", 1_497_205, 60_000_000),
            ("2024-12-15", 987_288, 30_000_000),
            ("2025-03-15", 488_219, 0),
        ]
        for (index, (date, interest, outstandingAfter)) in expected.enumerated() {
            let position = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day(date))
            #expect(position.interestVND == interest)
            #expect(position.overdueInterestVND == 0)
            #expect(position.overduePrincipalVND == 0)
            #expect(position.principalDueVND == 30_000_000)
            #expect(position.daysPastDue == 0)
            let amount = interest + 30_000_000
            let result = try repaying(loan, amount, on: day(date), id: "A-\(index + 1)")
            #expect(result.repaid == LoanRepaid(
                repaymentID: "A-\(index + 1)", amountVND: amount, paidOn: day(date), overdueInterestVND: 0, interestVND: interest,
                overduePrincipalVND: 0, principalDueVND: 30_000_000, prepaidPrincipalVND: 0, outstandingPrincipalAfterVND: outstandingAfter,
                unpaidOverdueInterestAfterVND: 0, unpaidInterestAfterVND: 0
            ))
            #expect(result.settled == (index == 3))
            loan = result.loan
        }
        // Total interest 1,996,274 + 1,497,205 + 987,288 + 488,219 = 4,968,986 ₫.
        #expect(loan.interestPaidVND == 4_968_986)
        #expect(loan.status == .settled)
        #expect(loan.settledOn == day("2025-03-15"))
        #expect(loan.principalRepaidPerInstalmentVND == [30_000_000, 30_000_000, 30_000_000, 30_000_000])
    }

    // MARK: (b) late

    /// 60,000,000 ₫ on 2024-03-15 for 12 months, quarterly: four instalments of 15,000,000 ₫.
    /// The first is paid on time; the second (due 2024-09-15) 45 days late on 2024-10-30.
    @Test func lateInstalmentPaysOverdueInterestFirstThenCarriesPartialInterestForward() throws {
        var loan = try disbursedLoan(principalVND: 60_000_000, on: day("2024-03-15"), termMonths: 12)

        // R1, 2024-06-15, on time: 60,000,000 × 660 × 92 / 3,650,000 = 998,136.98… → 998,137.
        var result = try repaying(loan, 15_998_137, on: day("2024-06-15"), id: "B-1")
        #expect(result.repaid.interestVND == 998_137)
        #expect(result.repaid.principalDueVND == 15_000_000)
        loan = result.loan

        // On 2024-10-30 instalment 2 is 45 days past due (09-15 → 10-30 = 15 + 30).
        // 06-15 → 09-15, 92 days: 45,000,000 not overdue → 45,000,000 × 660 × 92 / 3,650,000 = 748,602.739…
        // 09-15 → 10-30, 45 days: 30,000,000 not overdue → 30,000,000 × 660 × 45 / 3,650,000 = 244,109.589…
        //                         15,000,000 overdue at 858 bps → 15,000,000 × 858 × 45 / 3,650,000 = 158,671.232…
        // interest = 748,602.739… + 244,109.589… = 992,712.328… → 992,712 (one rounding over the exact sum;
        // rounding each segment would have given 748,603 + 244,110 = 992,713).
        // overdue interest = 158,671.232… → 158,671.
        let position = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-10-30"))
        #expect(position.accrual?.segments == [
            InterestAccrual.Segment(from: day("2024-06-15"), until: day("2024-09-15"), days: 92, annualRateBasisPoints: 660,
                                    principalVND: 45_000_000, overduePrincipalVND: 0),
            InterestAccrual.Segment(from: day("2024-09-15"), until: day("2024-10-30"), days: 45, annualRateBasisPoints: 660,
                                    principalVND: 30_000_000, overduePrincipalVND: 15_000_000),
        ])
        #expect(position.accrual?.interest == ExactInterest(wholeVND: 992_712, remainderUnits: 120_000_000)) // .328… = 24/73
        #expect(position.accrual?.overdueInterest == ExactInterest(wholeVND: 158_671, remainderUnits: 85_000_000)) // .232… = 17/73
        #expect(position.overdueInterestVND == 158_671)
        #expect(position.interestVND == 992_712)
        #expect(position.overduePrincipalVND == 15_000_000)
        #expect(position.principalDueVND == 15_000_000)
        #expect(position.daysPastDue == 45)
        #expect(position.arrearsBucket == .days31To90)

        // R2 pays 158,671 + 992,712 + 15,000,000 + 1,000,000 = 17,151,383: the allocation order
        // fills overdue interest, interest, overdue principal, then 1,000,000 of instalment 3 (principal due).
        result = try repaying(loan, 17_151_383, on: day("2024-10-30"), id: "B-2")
        #expect(result.repaid == LoanRepaid(
            repaymentID: "B-2", amountVND: 17_151_383, paidOn: day("2024-10-30"), overdueInterestVND: 158_671, interestVND: 992_712,
            overduePrincipalVND: 15_000_000, principalDueVND: 1_000_000, prepaidPrincipalVND: 0, outstandingPrincipalAfterVND: 29_000_000,
            unpaidOverdueInterestAfterVND: 0, unpaidInterestAfterVND: 0
        ))
        loan = result.loan
        #expect(loan.unpaidPrincipalPerInstalmentVND == [0, 0, 14_000_000, 15_000_000])

        // R3, 2024-11-29, partial: 30 days on 29,000,000 → 29,000,000 × 660 × 30 / 3,650,000 = 157,315.07… → 157,315.
        // Only 100,000 is paid: all of it goes to interest; 57,315 of interest is carried forward.
        result = try repaying(loan, 100_000, on: day("2024-11-29"), id: "B-3")
        #expect(result.repaid == LoanRepaid(
            repaymentID: "B-3", amountVND: 100_000, paidOn: day("2024-11-29"), overdueInterestVND: 0, interestVND: 100_000,
            overduePrincipalVND: 0, principalDueVND: 0, prepaidPrincipalVND: 0, outstandingPrincipalAfterVND: 29_000_000,
            unpaidOverdueInterestAfterVND: 0, unpaidInterestAfterVND: 57_315
        ))
        loan = result.loan
        #expect(loan.unpaidInterestVND == 57_315)

        // R4, 2024-12-15 (instalment 3's due date): 16 days on 29,000,000 → 83,901.36… → 83,901;
        // interest owed = 57,315 carried + 83,901 = 141,216, paid before the 14,000,000 still due.
        let beforeR4 = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-12-15"))
        #expect(beforeR4.interestVND == 141_216)
        #expect(beforeR4.principalDueVND == 14_000_000)
        #expect(beforeR4.totalOwedVND == 29_141_216)
        result = try repaying(loan, 14_141_216, on: day("2024-12-15"), id: "B-4")
        #expect(result.repaid.interestVND == 141_216)
        #expect(result.repaid.principalDueVND == 14_000_000)
        #expect(result.repaid.outstandingPrincipalAfterVND == 15_000_000)
        #expect(result.repaid.unpaidInterestAfterVND == 0)
        #expect(result.settled == false)
        #expect(result.loan.unpaidInterestVND == 0)
    }

    /// A payment smaller than the overdue interest: what is left of it stays **overdue interest**
    /// and is paid first next time; the interest behind it is carried forward as interest.
    @Test func unpaidOverdueInterestIsCarriedForwardAsOverdueInterest() throws {
        var loan = try disbursedLoan(principalVND: 60_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 15_998_137, on: day("2024-06-15"), id: "B-1").loan

        // 2024-10-30 owes overdue interest 158,671 and interest 992,712 (see above); 100,000 is paid.
        var result = try repaying(loan, 100_000, on: day("2024-10-30"), id: "B-2")
        #expect(result.repaid.overdueInterestVND == 100_000)
        #expect(result.repaid.interestVND == 0)
        #expect(result.repaid.unpaidOverdueInterestAfterVND == 58_671)
        #expect(result.repaid.unpaidInterestAfterVND == 992_712)
        loan = result.loan

        // 2024-11-04, 5 more days: overdue 15,000,000 × 858 × 5 / 3,650,000 = 17,630.13… → 17,630;
        // interest 30,000,000 × 660 × 5 / 3,650,000 = 27,123.28… → 27,123.
        // Owed: overdue interest 58,671 + 17,630 = 76,301; interest 992,712 + 27,123 = 1,019,835.
        let position = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-11-04"))
        #expect(position.overdueInterestVND == 76_301)
        #expect(position.interestVND == 1_019_835)
        #expect(position.daysPastDue == 50)
        result = try repaying(loan, 80_000, on: day("2024-11-04"), id: "B-3")
        #expect(result.repaid.overdueInterestVND == 76_301)
        #expect(result.repaid.interestVND == 3_699)
        #expect(result.repaid.unpaidOverdueInterestAfterVND == 0)
        #expect(result.repaid.unpaidInterestAfterVND == 1_016_136)
        #expect(result.repaid.overduePrincipalVND == 0)
    }

    // MARK: (c) prepaid

    /// 100,000,000 ₫ on 2024-01-31 for 9 months, quarterly: instalments of 33,333,333,
    /// 33,333,333 and 33,333,334 ₫ due 2024-04-30 (clamped), 2024-07-31 and 2024-10-31.
    @Test func largeEarlyRepaymentPaysNextInstalmentPrepaysLaterOnesThenSettles() throws {
        var loan = try disbursedLoan(principalVND: 100_000_000, on: day("2024-01-31"), termMonths: 9)
        #expect(loan.schedule?.instalments.map(\.dueOn) == [day("2024-04-30"), day("2024-07-31"), day("2024-10-31")])
        #expect(loan.schedule?.instalments.map(\.principalVND) == [33_333_333, 33_333_333, 33_333_334])

        // R1, 2024-03-15, 60,000,000: 01-31 → 03-15 = 29 + 15 = 44 days (2024 is a leap year):
        // 100,000,000 × 660 × 44 / 3,650,000 = 795,616.43… → 795,616.
        // 60,000,000 − 795,616 = 59,204,384 of principal: 33,333,333 is instalment 1 (due 04-30,
        // not yet due: principal due), 25,871,051 prepays instalment 2. Outstanding 40,795,616.
        let result = try repaying(loan, 60_000_000, on: day("2024-03-15"), id: "C-1")
        #expect(result.repaid == LoanRepaid(
            repaymentID: "C-1", amountVND: 60_000_000, paidOn: day("2024-03-15"), overdueInterestVND: 0, interestVND: 795_616,
            overduePrincipalVND: 0, principalDueVND: 33_333_333, prepaidPrincipalVND: 25_871_051, outstandingPrincipalAfterVND: 40_795_616,
            unpaidOverdueInterestAfterVND: 0, unpaidInterestAfterVND: 0
        ))
        #expect(result.settled == false)
        loan = result.loan
        #expect(loan.unpaidPrincipalPerInstalmentVND == [0, 7_462_282, 33_333_334])

        // Instalment 1 was prepaid, so 2024-05-01 (after its due date) shows nothing past due.
        let may = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-05-01"))
        #expect(may.daysPastDue == 0)
        #expect(may.arrearsBucket == .current)
        #expect(may.overdueInterestVND == 0)

        // R2, 2024-06-10: 03-15 → 06-10 = 16 + 30 + 31 + 10 = 87 days on 40,795,616:
        // 40,795,616 × 660 × 87 / 3,650,000 = 2,342,484,270,720 / 3,650,000 = 641,776.51… → 641,777.
        // Owed 641,777 + 40,795,616 = 41,437,393: 7,462,282 due (instalment 2), 33,333,334 prepaid.
        let june = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-06-10"))
        #expect(june.totalOwedVND == 41_437_393)
        let decision = try LoanDecisions.repay(
            loan: loan, terms: quarterlyTerms(), repaymentID: "C-2", amountVND: 41_437_393, paidOn: day("2024-06-10")
        )
        #expect(decision.streams == [StreamEvents(stream: "loan-L-1", expectedVersion: 2, events: [
            .loanRepaid(LoanRepaid(
                repaymentID: "C-2", amountVND: 41_437_393, paidOn: day("2024-06-10"), overdueInterestVND: 0, interestVND: 641_777,
                overduePrincipalVND: 0, principalDueVND: 7_462_282, prepaidPrincipalVND: 33_333_334, outstandingPrincipalAfterVND: 0,
                unpaidOverdueInterestAfterVND: 0, unpaidInterestAfterVND: 0
            )),
            .loanSettled(LoanSettled(settledOn: day("2024-06-10"))),
        ])])
        #expect(decision.summary.hasSuffix("loan settled"))
        loan = applying(decision, to: loan)
        #expect(loan.status == .settled)
        #expect(loan.outstandingPrincipalVND == 0)
        #expect(loan.interestPaidVND == 1_437_393)
        let after = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2025-01-01"))
        #expect(after.totalOwedVND == 0)
    }

    // MARK: rate change

    /// The loan of (a) under a programme whose rate becomes 7.20 % from 2024-07-01: the span
    /// 06-15 → 09-15 is 16 days at 660 and 76 days at 720, on 90,000,000:
    /// 90,000,000 × (660 × 16 + 720 × 76) / 3,650,000 = 90,000,000 × 65,280 / 3,650,000 = 1,609,643.83… → 1,609,644.
    @Test func rateChangeAppliesFromItsDateOnly() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 31_996_274, on: day("2024-06-15"), id: "D-1").loan

        let amended = quarterlyTerms([
            RatePeriod(from: day("2024-01-01"), annualRateBasisPoints: 660),
            RatePeriod(from: day("2024-07-01"), annualRateBasisPoints: 720),
        ])
        let position = try LoanPosition(loan: loan, ratePeriods: amended.ratePeriods, asOf: day("2024-09-15"))
        #expect(position.accrual?.segments.map(\.days) == [16, 76])
        #expect(position.accrual?.segments.map(\.annualRateBasisPoints) == [660, 720])
        #expect(position.interestVND == 1_609_644)
        let result = try repaying(loan, 31_609_644, on: day("2024-09-15"), id: "D-2", terms: amended)
        #expect(result.repaid.interestVND == 1_609_644)
        #expect(result.loan.repayments["D-1"]?.interestVND == 1_996_274)
    }

    /// A period added later but starting before a recorded repayment (7.20 % from 2024-05-01,
    /// entered after D-1 of 2024-06-15) does not rewrite it: D-1 keeps 1,996,274 at 6.60 %,
    /// and only the days from 06-15 accrue at 7.20 %:
    /// 90,000,000 × 720 × 92 / 3,650,000 = 1,633,315.06… → 1,633,315.
    @Test func backdatedRateChangeNeverRewritesARecordedRepayment() throws {
        var loan = try disbursedLoan(principalVND: 120_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 31_996_274, on: day("2024-06-15"), id: "D-1").loan
        let backdated = quarterlyTerms([
            RatePeriod(from: day("2024-01-01"), annualRateBasisPoints: 660),
            RatePeriod(from: day("2024-05-01"), annualRateBasisPoints: 720),
        ])
        let position = try LoanPosition(loan: loan, ratePeriods: backdated.ratePeriods, asOf: day("2024-09-15"))
        #expect(position.interestVND == 1_633_315)
        #expect(loan.repayments["D-1"]?.interestVND == 1_996_274)
        #expect(loan.unpaidInterestVND == 0)
        #expect(loan.lastAccrualDate == day("2024-06-15"))
    }

    // MARK: write-off

    /// Loan (b) after R4: 15,000,000 ₫ of instalment 4 (due 2025-03-15) left, written off on
    /// 2025-06-30. 2024-12-15 → 2025-03-15 = 90 days not overdue: 15,000,000 × 660 × 90 / 3,650,000
    /// = 244,109.58… → 244,110; 2025-03-15 → 06-30 = 16 + 30 + 31 + 30 = 107 days overdue:
    /// 15,000,000 × 858 × 107 / 3,650,000 = 377,284.93… → 377,285. Unpaid interest 621,395.
    @Test func writeOffRecordsOutstandingPrincipalAndUnpaidInterest() throws {
        var loan = try disbursedLoan(principalVND: 60_000_000, on: day("2024-03-15"), termMonths: 12)
        loan = try repaying(loan, 15_998_137, on: day("2024-06-15"), id: "B-1").loan
        loan = try repaying(loan, 17_151_383, on: day("2024-10-30"), id: "B-2").loan
        loan = try repaying(loan, 100_000, on: day("2024-11-29"), id: "B-3").loan
        loan = try repaying(loan, 14_141_216, on: day("2024-12-15"), id: "B-4").loan

        let position = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2025-06-30"))
        #expect(position.interestVND == 244_110)
        #expect(position.overdueInterestVND == 377_285)
        #expect(position.daysPastDue == 107)
        #expect(position.arrearsBucket == .days91To180)

        let decision = try LoanDecisions.writeOff(loan: loan, terms: quarterlyTerms(), reason: "borrower unreachable abroad", on: day("2025-06-30"))
        #expect(decision.streams == [StreamEvents(stream: "loan-L-1", expectedVersion: 5, events: [
            .loanWrittenOff(LoanWrittenOff(
                reason: "borrower unreachable abroad", writtenOffOn: day("2025-06-30"),
                outstandingPrincipalVND: 15_000_000, unpaidInterestVND: 621_395
            )),
        ])])
        loan = applying(decision, to: loan)
        #expect(loan.status == .writtenOff)
        expectRefusal(.wrongStatus) {
            try LoanDecisions.repay(loan: loan, terms: quarterlyTerms(), repaymentID: "B-5", amountVND: 1_000, paidOn: day("2025-07-01"))
        }
        let again = try LoanDecisions.writeOff(loan: loan, terms: quarterlyTerms(), reason: "borrower unreachable abroad", on: day("2025-06-30"))
        #expect(again.alreadyDone)
    }
}
