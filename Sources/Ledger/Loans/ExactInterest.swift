/// An exact, non-negative amount of accrued interest: `wholeVND + remainderUnits / unitsPerDong`
/// đồng, where one unit is 1 / (10,000 · 365 · 100) đồng — the denominator of one day's interest
/// (basis points per 10,000, days per 365-day year, multiplier percent per 100). Nothing is
/// rounded while interest accrues; the one rounding rule is `roundedHalfUp()`.
///
/// Arithmetic: one day's numerator `principal × rate × percent` can exceed Int64 (10^15 đồng ×
/// 10^4 bps × 10^3 % = 10^22), so it is formed as a 128-bit product (`multipliedFullWidth`) and
/// divided at once by `unitsPerDong` (`dividingFullWidth`); every later step is Int64 with
/// overflow checks, which throw `DomainError.amountOverflow` instead of wrapping or trapping.
public struct ExactInterest: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Units per đồng: 10,000 (basis points) × 365 (days a year) × 100 (percent).
    public static let unitsPerDong: Int64 = 10_000 * 365 * 100

    /// Whole đồng.
    public let wholeVND: Int64
    /// The fraction of a đồng, in units of 1 / `unitsPerDong` đồng; always in 0 ..< `unitsPerDong`.
    public let remainderUnits: Int64

    public static let zero = ExactInterest(normalizedWholeVND: 0, remainderUnits: 0)

    /// Creates `wholeVND + remainderUnits / unitsPerDong`; fails unless both are in range.
    public init?(wholeVND: Int64, remainderUnits: Int64) {
        guard wholeVND >= 0, wholeVND <= VND.maximumMagnitude,
              remainderUnits >= 0, remainderUnits < Self.unitsPerDong
        else { return nil }
        self.init(normalizedWholeVND: wholeVND, remainderUnits: remainderUnits)
    }

    private init(normalizedWholeVND: Int64, remainderUnits: Int64) {
        assert(normalizedWholeVND >= 0 && remainderUnits >= 0 && remainderUnits < Self.unitsPerDong)
        self.wholeVND = normalizedWholeVND
        self.remainderUnits = remainderUnits
    }

    /// `principalVND × days × annualRateBasisPoints × percentOfRate / unitsPerDong`, exactly:
    /// the interest on a principal held for `days` days at `annualRateBasisPoints` a year,
    /// charged at `percentOfRate` % of that rate (100 for interest, the overdue multiplier for
    /// overdue interest).
    public static func accrued(
        principalVND: VND, days: Int, annualRateBasisPoints: Int, percentOfRate: Int
    ) throws -> ExactInterest {
        guard principalVND.amount >= 0, principalVND.amount <= VND.maximumMagnitude, days >= 0,
              (0...LoanLimits.maximumAnnualRateBasisPoints).contains(annualRateBasisPoints),
              (0...LoanLimits.maximumOverdueMultiplierPercent).contains(percentOfRate)
        else { throw DomainError.amountOverflow }
        // One day's numerator, as 128 bits: at most 10^15 × 10^4 × 10^3 = 10^22.
        let ratePercent = Int64(annualRateBasisPoints) * Int64(percentOfRate)
        let perDay = principalVND.amount.multipliedFullWidth(by: ratePercent)
        // The quotient fits in Int64 when high < unitsPerDong / 2 (see the type's comment).
        guard perDay.high >= 0, perDay.high < Self.unitsPerDong / 2 else { throw DomainError.amountOverflow }
        let (dayWhole, dayRemainder) = Self.unitsPerDong.dividingFullWidth(perDay)
        // days × (dayWhole + dayRemainder / unitsPerDong), carrying the remainder's whole part.
        let (wholeFromWhole, overflow1) = dayWhole.multipliedReportingOverflow(by: Int64(days))
        let (remainderTotal, overflow2) = dayRemainder.multipliedReportingOverflow(by: Int64(days))
        guard !overflow1, !overflow2 else { throw DomainError.amountOverflow }
        let (whole, overflow3) = wholeFromWhole.addingReportingOverflow(remainderTotal / Self.unitsPerDong)
        guard !overflow3, whole <= VND.maximumMagnitude else { throw DomainError.amountOverflow }
        return ExactInterest(normalizedWholeVND: whole, remainderUnits: remainderTotal % Self.unitsPerDong)
    }

    /// The exact sum.
    public func adding(_ other: ExactInterest) throws -> ExactInterest {
        let remainder = remainderUnits + other.remainderUnits // < 2 × unitsPerDong: cannot overflow
        let carry: Int64 = remainder >= Self.unitsPerDong ? 1 : 0
        let (partial, overflow1) = wholeVND.addingReportingOverflow(other.wholeVND)
        let (whole, overflow2) = partial.addingReportingOverflow(carry)
        guard !overflow1, !overflow2, whole <= VND.maximumMagnitude else { throw DomainError.amountOverflow }
        return ExactInterest(normalizedWholeVND: whole, remainderUnits: remainder - carry * Self.unitsPerDong)
    }

    /// THE rounding rule of the ledger's loans: to the nearest whole đồng, a half đồng up
    /// (x.5 → x + 1; x.4999… → x). Applied only when interest is fixed: at a repayment, a
    /// write-off, or a report of what is owed on a date.
    public func roundedHalfUp() -> VND {
        // 2 × remainder < 2 × unitsPerDong < 2^30: no overflow; whole ≤ 10^15, so +1 fits too.
        VND(wholeVND + (2 * remainderUnits >= Self.unitsPerDong ? 1 : 0))
    }

    public static func < (lhs: ExactInterest, rhs: ExactInterest) -> Bool {
        (lhs.wholeVND, lhs.remainderUnits) < (rhs.wholeVND, rhs.remainderUnits)
    }

    /// `16516 + 182500000/365000000 ₫`: the exact figure, for audits and failing tests.
    public var description: String {
        remainderUnits == 0 ? "\(wholeVND) ₫" : "\(wholeVND) + \(remainderUnits)/\(Self.unitsPerDong) ₫"
    }
}
