/// How late a loan is, by days past due (the usual arrears classes of a lender's report).
public enum ArrearsBucket: String, Sendable, Codable, CaseIterable, Comparable {
    /// Nothing past due.
    case current
    case days1To30 = "1-30 days"
    case days31To90 = "31-90 days"
    case days91To180 = "91-180 days"
    case over180Days = "over 180 days"

    /// The bucket of `daysPastDue` (0 or less: current).
    public init(daysPastDue: Int) {
        switch daysPastDue {
        case ...0: self = .current
        case 1...30: self = .days1To30
        case 31...90: self = .days31To90
        case 91...180: self = .days91To180
        default: self = .over180Days
        }
    }

    public static func < (lhs: ArrearsBucket, rhs: ArrearsBucket) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What a borrower owes on a date: the figures a repayment on that date is allocated against.
///
/// Interest is the figure fixed at the last repayment and left unpaid, plus the exact interest
/// accrued since then rounded half up (`ExactInterest.roundedHalfUp`), separately for overdue
/// interest and interest. Principal is split into overdue (instalments due before `asOf`), due
/// (the next instalment due on or after `asOf`) and later instalments.
public struct LoanPosition: Sendable, Equatable {
    public let loanID: String
    public let asOf: LocalDate
    public let status: LoanStatus
    /// Overdue interest owed: carried forward unpaid + accrued since the last repayment (rounded).
    public let overdueInterestVND: VND
    /// Interest owed: carried forward unpaid + accrued since the last repayment (rounded).
    public let interestVND: VND
    /// Unpaid principal of instalments due before `asOf`.
    public let overduePrincipalVND: VND
    /// Unpaid principal of the next instalment due on or after `asOf` (0 when all are overdue).
    public let principalDueVND: VND
    /// All principal not yet repaid: overdue, due and later instalments.
    public let outstandingPrincipalVND: VND
    /// Days since the earliest unpaid due date before `asOf` (0 when nothing is overdue).
    public let daysPastDue: Int
    public let arrearsBucket: ArrearsBucket
    /// The earliest instalment due before `asOf` and not fully repaid.
    public let earliestUnpaidDueOn: LocalDate?
    /// The accrual since the last repayment (or the disbursement), exact, segment by segment.
    public let accrual: InterestAccrual?

    /// Interest of both kinds plus all outstanding principal: the most a repayment may be.
    public var totalOwedVND: VND {
        overdueInterestVND + interestVND + outstandingPrincipalVND
    }

    /// Principal of instalments due after the next one (what a repayment may prepay).
    public var laterPrincipalVND: VND {
        outstandingPrincipalVND - overduePrincipalVND - principalDueVND
    }

    /// What `loan` owes on `asOf`, accruing at `ratePeriods` (the programme's) since the last
    /// repayment. Refuses a date before the last repayment (or the disbursement), a loan never
    /// disbursed (`.unknownLoan`) and a written-off loan (`.wrongStatus`: its `LoanWrittenOff`
    /// holds the figures). A settled loan owes nothing.
    public init(loan: LoanState, ratePeriods: [RatePeriod], asOf: LocalDate) throws {
        guard let disbursement = loan.disbursement, let lastAccrualDate = loan.lastAccrualDate else {
            throw DomainError(.unknownLoan, "loan \(loan.loanID) has not been disbursed")
        }
        guard let schedule = loan.schedule else {
            throw DomainError(.invalidInput, "loan \(loan.loanID)'s recorded disbursement cannot be scheduled (\(disbursement.termMonths) months in \(disbursement.instalmentMonths)-month instalments)")
        }
        if let writeOff = loan.writeOff {
            throw DomainError(
                .wrongStatus,
                "loan \(loan.loanID) was written off on \(writeOff.writtenOffOn) with \(writeOff.outstandingPrincipalVND.formatted) principal and \(writeOff.unpaidInterestVND.formatted) interest unpaid"
            )
        }
        guard asOf >= lastAccrualDate else {
            let what = loan.repayments.isEmpty ? "disbursed" : "last repaid"
            throw DomainError(
                .invalidInput, "\(asOf) is before \(lastAccrualDate), when loan \(loan.loanID) was \(what)"
            )
        }
        let unpaid = schedule.unpaidPrincipal(afterRepaying: loan.principalRepaidVND)
        let balances = zip(schedule.instalments, unpaid).map {
            InterestAccrual.Balance(dueOn: $0.dueOn, principalVND: $1)
        }
        let accrual = try InterestAccrual(
            from: lastAccrualDate, until: asOf, balances: balances, ratePeriods: ratePeriods,
            overdueMultiplierPercent: disbursement.overdueMultiplierPercent
        )
        var overduePrincipal = VND.zero
        var principalDue = VND.zero
        var outstanding = VND.zero
        var earliestUnpaidDueOn: LocalDate?
        var nextFound = false
        for balance in balances where balance.principalVND.isPositive {
            outstanding = try outstanding.adding(balance.principalVND)
            if balance.dueOn < asOf {
                overduePrincipal = try overduePrincipal.adding(balance.principalVND)
                if earliestUnpaidDueOn == nil { earliestUnpaidDueOn = balance.dueOn }
            } else if !nextFound {
                principalDue = balance.principalVND
                nextFound = true
            }
        }
        assert(outstanding == loan.outstandingPrincipalVND)
        let daysPastDue = earliestUnpaidDueOn.map { $0.days(until: asOf) } ?? 0
        self.loanID = loan.loanID
        self.asOf = asOf
        self.status = loan.status
        self.overdueInterestVND = try loan.unpaidOverdueInterestVND.adding(accrual.overdueInterest.roundedHalfUp())
        self.interestVND = try loan.unpaidInterestVND.adding(accrual.interest.roundedHalfUp())
        self.overduePrincipalVND = overduePrincipal
        self.principalDueVND = principalDue
        self.outstandingPrincipalVND = outstanding
        self.daysPastDue = daysPastDue
        self.arrearsBucket = ArrearsBucket(daysPastDue: daysPastDue)
        self.earliestUnpaidDueOn = earliestUnpaidDueOn
        self.accrual = accrual
    }

    /// A one-line account: `owed on 2024-10-16: overdue interest 158,712 ₫, …`.
    public var summary: String {
        "owed on \(asOf): overdue interest \(overdueInterestVND.formatted), interest \(interestVND.formatted), "
            + "overdue principal \(overduePrincipalVND.formatted), other principal \((outstandingPrincipalVND - overduePrincipalVND).formatted); "
            + "total \(totalOwedVND.formatted); \(daysPastDue) days past due (\(arrearsBucket.rawValue))"
    }
}
