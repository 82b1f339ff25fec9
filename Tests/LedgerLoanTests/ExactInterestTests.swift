import Testing
@testable import Ledger

@Suite("Exact interest and the rounding rule")
struct ExactInterestTests {
    /// x.5 rounds up; anything below a half rounds down; a whole number stays.
    @Test func roundsHalfUp() throws {
        let half = ExactInterest.unitsPerDong / 2 // 182,500,000 units = 0.5 ₫
        #expect(ExactInterest(wholeVND: 16_516, remainderUnits: half)!.roundedHalfUp() == 16_517)
        #expect(ExactInterest(wholeVND: 16_516, remainderUnits: half - 1)!.roundedHalfUp() == 16_516)
        #expect(ExactInterest(wholeVND: 16_516, remainderUnits: half + 1)!.roundedHalfUp() == 16_517)
        #expect(ExactInterest(wholeVND: 16_516, remainderUnits: 0)!.roundedHalfUp() == 16_516)
        #expect(ExactInterest(wholeVND: 0, remainderUnits: half)!.roundedHalfUp() == 1)
        #expect(ExactInterest(wholeVND: 0, remainderUnits: ExactInterest.unitsPerDong) == nil)
    }

    /// 1,251,250 × 660 × 73 / 3,650,000 = 60,285,225,000 / 3,650,000 = 16,516.5 exactly → 16,517;
    /// one đồng less of principal: 60,285,176,820 / 3,650,000 = 16,516.486… → 16,516.
    @Test func accrualOfExactlyHalfADongRoundsUp() throws {
        let half = try ExactInterest.accrued(principalVND: 1_251_250, days: 73, annualRateBasisPoints: 660, percentOfRate: 100)
        #expect(half == ExactInterest(wholeVND: 16_516, remainderUnits: 182_500_000))
        #expect(half.roundedHalfUp() == 16_517)
        let below = try ExactInterest.accrued(principalVND: 1_251_249, days: 73, annualRateBasisPoints: 660, percentOfRate: 100)
        #expect(below.roundedHalfUp() == 16_516)
    }

    /// The same x.5 through a whole repayment: a one-instalment loan of 1,251,250 ₫ disbursed on
    /// 2024-01-01 and repaid on 2024-03-14 (31 + 29 + 13 = 73 days) owes interest 16,517.
    @Test func repaymentRecordsHalfADongRoundedUp() throws {
        let loan = try disbursedLoan(principalVND: 1_251_250, on: day("2024-01-01"), termMonths: 3)
        let position = try LoanPosition(loan: loan, ratePeriods: quarterlyTerms().ratePeriods, asOf: day("2024-03-14"))
        #expect(position.interestVND == 16_517)
        let result = try repaying(loan, 1_267_767, on: day("2024-03-14"), id: "H-1")
        #expect(result.repaid.interestVND == 16_517)
        #expect(result.settled)
    }

    @Test func sumsCarryTheFractionExactly() throws {
        let a = ExactInterest(wholeVND: 10, remainderUnits: 200_000_000)!
        let b = ExactInterest(wholeVND: 5, remainderUnits: 200_000_000)!
        #expect(try a.adding(b) == ExactInterest(wholeVND: 16, remainderUnits: 35_000_000))
    }

    /// The largest inputs the limits allow — 10^15 ₫ at 100 % a year and a 1,000 % multiplier —
    /// pass through the 128-bit product without overflow: 10^15 × 10,000 × 1,000 / 365,000,000
    /// a day = 27,397,260,273,972.60… ₫, × 365 days = 10^16 ₫ — above `VND.maximumMagnitude`, refused.
    @Test func largestInputsDoNotOverflowSilently() throws {
        let day1 = try ExactInterest.accrued(
            principalVND: VND(VND.maximumMagnitude), days: 1, annualRateBasisPoints: 10_000, percentOfRate: 1_000
        )
        #expect(day1.wholeVND == 27_397_260_273_972)
        #expect(day1.remainderUnits == 220_000_000) // 0.6027… ₫ = 220,000,000 / 365,000,000
        #expect(throws: DomainError.amountOverflow) {
            try ExactInterest.accrued(principalVND: VND(VND.maximumMagnitude), days: 365, annualRateBasisPoints: 10_000, percentOfRate: 1_000)
        }
        #expect(throws: DomainError.amountOverflow) {
            try ExactInterest.accrued(principalVND: 1_000, days: 1, annualRateBasisPoints: 10_001, percentOfRate: 100)
        }
    }

    @Test func noRateInForceIsRefused() {
        let error = expectRefusal(.invalidInput) {
            try InterestAccrual(
                from: day("2023-12-01"), until: day("2024-02-01"),
                balances: [InterestAccrual.Balance(dueOn: day("2024-06-01"), principalVND: 1_000_000)],
                ratePeriods: quarterlyTerms().ratePeriods, overdueMultiplierPercent: 130
            )
        }
        #expect(error?.field == "rate_periods")
    }

    @Test func ratePeriodsOutOfOrderAreRefused() {
        expectRefusal(.invalidInput) {
            try InterestAccrual.checkRatePeriods([
                RatePeriod(from: day("2024-07-01"), annualRateBasisPoints: 720),
                RatePeriod(from: day("2024-01-01"), annualRateBasisPoints: 660),
            ])
        }
    }
}
