/// The exact interest a loan accrues over a span of days [from, until): the days `from`,
/// `from + 1`, …, `until − 1`, i.e. `until − from` days (actual/365: every calendar day counts,
/// and a year is always 365 days, leap years included).
///
/// For each day d:
/// - the annual rate is that of the last rate period starting on or before d;
/// - an instalment's unpaid principal is **overdue** on d when d is on or after its due date
///   (paid on the due date: no overdue day; paid one day late: one overdue day);
/// - interest for d = not-overdue principal × rate / 10,000 / 365;
/// - overdue interest for d = overdue principal × rate × multiplier / 100 / 10,000 / 365.
///
/// Nothing changes inside the span except the calendar, so the span is cut into segments at
/// every rate-period start and every due date, and each segment adds
/// `principal × days × rate × percent` units exactly (see `ExactInterest`). Nothing is rounded.
public struct InterestAccrual: Sendable, Equatable {
    /// The unpaid principal of one instalment during the span.
    public struct Balance: Sendable, Equatable {
        public let dueOn: LocalDate
        public let principalVND: VND
        public init(dueOn: LocalDate, principalVND: VND) {
            self.dueOn = dueOn
            self.principalVND = principalVND
        }
    }

    /// Days [from, until) with one rate and one split of the principal.
    public struct Segment: Sendable, Equatable, CustomStringConvertible {
        public let from: LocalDate
        /// Exclusive.
        public let until: LocalDate
        public let days: Int
        public let annualRateBasisPoints: Int
        /// Principal not yet overdue, charged interest at the rate.
        public let principalVND: VND
        /// Principal past its due date, charged overdue interest at rate × multiplier.
        public let overduePrincipalVND: VND
        public init(from: LocalDate, until: LocalDate, days: Int, annualRateBasisPoints: Int,
                    principalVND: VND, overduePrincipalVND: VND) {
            self.from = from
            self.until = until
            self.days = days
            self.annualRateBasisPoints = annualRateBasisPoints
            self.principalVND = principalVND
            self.overduePrincipalVND = overduePrincipalVND
        }

        public var description: String {
            "\(from)…\(until) \(days)d @\(annualRateBasisPoints)bps on \(principalVND), overdue \(overduePrincipalVND)"
        }
    }

    public let from: LocalDate
    public let until: LocalDate
    public let overdueMultiplierPercent: Int
    public let segments: [Segment]
    /// Interest on not-overdue principal, exact.
    public let interest: ExactInterest
    /// Overdue interest on overdue principal, exact.
    public let overdueInterest: ExactInterest

    /// Accrues interest over [from, until) on `balances` (each instalment's unpaid principal,
    /// unchanged during the span). Refuses a day with no rate period in force.
    public init(
        from: LocalDate, until: LocalDate, balances: [Balance], ratePeriods: [RatePeriod], overdueMultiplierPercent: Int
    ) throws {
        guard from <= until else {
            throw DomainError.invalidInput(field: "date", problem: "interest cannot accrue from \(from) back to \(until)")
        }
        try Self.checkRatePeriods(ratePeriods)
        guard (LoanLimits.minimumOverdueMultiplierPercent...LoanLimits.maximumOverdueMultiplierPercent)
            .contains(overdueMultiplierPercent)
        else {
            throw DomainError.invalidInput(
                field: "overdue_multiplier_percent",
                problem: "\(overdueMultiplierPercent) % is outside \(LoanLimits.minimumOverdueMultiplierPercent)…\(LoanLimits.maximumOverdueMultiplierPercent) %"
            )
        }
        // Cut points strictly inside the span: rate changes and due dates.
        var cuts = Set<LocalDate>([from, until])
        for period in ratePeriods where from < period.from && period.from < until { cuts.insert(period.from) }
        for balance in balances where balance.principalVND.isPositive && from < balance.dueOn && balance.dueOn < until {
            cuts.insert(balance.dueOn)
        }
        let points = cuts.sorted()
        var segments: [Segment] = []
        var interest = ExactInterest.zero
        var overdueInterest = ExactInterest.zero
        for (start, end) in zip(points, points.dropFirst()) {
            guard let rate = Self.annualRateBasisPoints(on: start, in: ratePeriods) else {
                throw DomainError.invalidInput(
                    field: "rate_periods", problem: "no interest rate is in force on \(start) (the first period starts \(ratePeriods[0].from))"
                )
            }
            var normal = VND.zero
            var overdue = VND.zero
            for balance in balances {
                if start >= balance.dueOn {
                    overdue = try overdue.adding(balance.principalVND)
                } else {
                    normal = try normal.adding(balance.principalVND)
                }
            }
            let days = start.days(until: end)
            segments.append(Segment(
                from: start, until: end, days: days, annualRateBasisPoints: rate, principalVND: normal, overduePrincipalVND: overdue
            ))
            interest = try interest.adding(
                .accrued(principalVND: normal, days: days, annualRateBasisPoints: rate, percentOfRate: 100)
            )
            overdueInterest = try overdueInterest.adding(
                .accrued(principalVND: overdue, days: days, annualRateBasisPoints: rate, percentOfRate: overdueMultiplierPercent)
            )
        }
        self.from = from
        self.until = until
        self.overdueMultiplierPercent = overdueMultiplierPercent
        self.segments = segments
        self.interest = interest
        self.overdueInterest = overdueInterest
    }

    /// The rate of `day`: that of the last period starting on or before it; nil before the first.
    public static func annualRateBasisPoints(on day: LocalDate, in ratePeriods: [RatePeriod]) -> Int? {
        ratePeriods.last(where: { $0.from <= day })?.annualRateBasisPoints
    }

    /// Rate periods must be 1…`LoanLimits.maximumRatePeriods`, in strictly increasing date
    /// order, each rate within 0…`LoanLimits.maximumAnnualRateBasisPoints`.
    public static func checkRatePeriods(_ ratePeriods: [RatePeriod]) throws {
        guard !ratePeriods.isEmpty, ratePeriods.count <= LoanLimits.maximumRatePeriods else {
            throw DomainError.invalidInput(
                field: "rate_periods", problem: "has \(ratePeriods.count) periods; 1…\(LoanLimits.maximumRatePeriods) are needed"
            )
        }
        for (index, period) in ratePeriods.enumerated() {
            guard (0...LoanLimits.maximumAnnualRateBasisPoints).contains(period.annualRateBasisPoints) else {
                throw DomainError.invalidInput(
                    field: "rate_periods",
                    problem: "the rate from \(period.from) is \(period.annualRateBasisPoints) basis points; at most \(LoanLimits.maximumAnnualRateBasisPoints)"
                )
            }
            if index > 0, ratePeriods[index - 1].from >= period.from {
                throw DomainError.invalidInput(
                    field: "rate_periods", problem: "periods must be in increasing date order; \(period.from) follows \(ratePeriods[index - 1].from)"
                )
            }
        }
    }
}
