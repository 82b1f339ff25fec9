/// A loan's repayment schedule: equal principal instalments on fixed dates.
///
/// With principal P disbursed on D for T months, repaid every I months: n = T / I instalments;
/// instalment k (1…n) is due on D + k·I months (counted from D each time, clamped to the end of
/// a shorter month: 31 Jan + 3 months = 30 Apr, + 6 months = 31 Jul); each instalment's
/// principal is floor(P / n) and the last one also takes the remainder P − n·floor(P / n), so
/// the instalments sum to P exactly.
public struct LoanSchedule: Sendable, Equatable, Codable {
    /// One principal instalment.
    public struct Instalment: Sendable, Equatable, Codable {
        /// 1 … n.
        public let number: Int
        public let dueOn: LocalDate
        public let principalVND: VND
        public init(number: Int, dueOn: LocalDate, principalVND: VND) {
            self.number = number
            self.dueOn = dueOn
            self.principalVND = principalVND
        }
    }

    public let principalVND: VND
    public let disbursedOn: LocalDate
    public let termMonths: Int
    public let instalmentMonths: Int
    /// In due-date order.
    public let instalments: [Instalment]

    /// Builds the schedule, refusing a term that is not a whole number of instalments, a term
    /// beyond `LoanLimits.maximumTermMonths`, or a principal below one đồng per instalment.
    public init(principalVND: VND, disbursedOn: LocalDate, termMonths: Int, instalmentMonths: Int) throws {
        guard instalmentMonths >= 1, instalmentMonths <= LoanLimits.maximumTermMonths else {
            throw DomainError.invalidInput(
                field: "instalment_months", problem: "\(instalmentMonths) is not 1…\(LoanLimits.maximumTermMonths) months between instalments"
            )
        }
        guard termMonths >= 1, termMonths <= LoanLimits.maximumTermMonths, termMonths % instalmentMonths == 0 else {
            throw DomainError.invalidInput(
                field: "--term-months",
                problem: "\(termMonths) months is not a whole number of \(instalmentMonths)-month instalments within 1…\(LoanLimits.maximumTermMonths) months"
            )
        }
        let count = termMonths / instalmentMonths
        guard principalVND.amount >= Int64(count), principalVND.amount <= VND.maximumMagnitude else {
            throw DomainError.invalidInput(
                field: "--principal", problem: "\(principalVND.formatted) cannot be split into \(count) instalments of at least 1 ₫"
            )
        }
        let (each, remainder) = principalVND.amount.quotientAndRemainder(dividingBy: Int64(count))
        var instalments: [Instalment] = []
        instalments.reserveCapacity(count)
        for number in 1...count {
            let amount = number == count ? each + remainder : each
            instalments.append(Instalment(
                number: number, dueOn: disbursedOn.adding(months: number * instalmentMonths), principalVND: VND(amount)
            ))
        }
        self.principalVND = principalVND
        self.disbursedOn = disbursedOn
        self.termMonths = termMonths
        self.instalmentMonths = instalmentMonths
        self.instalments = instalments
        assert(instalments.reduce(Int64(0)) { $0 + $1.principalVND.amount } == principalVND.amount)
    }

    /// The schedule of a recorded disbursement.
    public init(disbursement: LoanDisbursed) throws {
        try self.init(
            principalVND: disbursement.principalVND, disbursedOn: disbursement.disbursedOn,
            termMonths: disbursement.termMonths, instalmentMonths: disbursement.instalmentMonths
        )
    }

    /// The last due date (maturity).
    public var maturesOn: LocalDate { instalments[instalments.count - 1].dueOn }

    /// What is still unpaid of each instalment once `principalRepaidVND` has been repaid in
    /// total. Every repayment applies principal to the earliest unpaid instalment first (overdue
    /// ones, then the next one due, then later ones in due-date order), so the amount repaid so
    /// far fills the instalments from the first.
    public func unpaidPrincipal(afterRepaying principalRepaidVND: VND) -> [VND] {
        var left = principalRepaidVND.amount
        return instalments.map { instalment in
            let paid = min(left, instalment.principalVND.amount)
            left -= paid
            return VND(instalment.principalVND.amount - paid)
        }
    }
}
