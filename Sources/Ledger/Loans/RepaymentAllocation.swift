/// How one repayment is split, in the fixed order of the domain: overdue interest, interest,
/// overdue principal (earliest instalment first), principal due (the next instalment not yet
/// due — paying it early is normal), then prepayment of later instalments in due-date order.
/// Each part takes as much as it is owed before the next part gets anything.
public struct RepaymentAllocation: Sendable, Equatable {
    public let amountVND: VND
    public let overdueInterestVND: VND
    public let interestVND: VND
    public let overduePrincipalVND: VND
    public let principalDueVND: VND
    public let prepaidPrincipalVND: VND
    /// Overdue interest owed on the date and not covered: carried forward as overdue interest.
    public let unpaidOverdueInterestAfterVND: VND
    /// Interest owed on the date and not covered: carried forward as interest.
    public let unpaidInterestAfterVND: VND
    public let outstandingPrincipalAfterVND: VND

    /// Splits `amountVND` against `position`; refuses an amount ≤ 0 (`.invalidInput`, field
    /// `--amount`) or above the total owed (`.repaymentExceedsOwed`, naming both figures).
    public init(amountVND: VND, position: LoanPosition) throws {
        guard amountVND.isPositive else {
            throw DomainError.invalidInput(field: "--amount", problem: "a repayment must be a positive number of đồng, not \(amountVND)")
        }
        let owed = position.totalOwedVND
        guard amountVND <= owed else {
            throw DomainError(
                .repaymentExceedsOwed,
                Message(
                    "a repayment of {0} exceeds the {1} owed on loan {2} on {3} (overdue interest {4}, interest {5}, principal {6})",
                    .amount(amountVND), .amount(owed), .text(position.loanID), .date(position.asOf), .amount(position.overdueInterestVND),
                    .amount(position.interestVND), .amount(position.outstandingPrincipalVND)
                ),
                field: "--amount"
            )
        }
        var left = amountVND
        func take(_ owedPart: VND) -> VND {
            let part = VND.min(left, owedPart)
            left -= part
            return part
        }
        self.amountVND = amountVND
        overdueInterestVND = take(position.overdueInterestVND)
        interestVND = take(position.interestVND)
        overduePrincipalVND = take(position.overduePrincipalVND)
        principalDueVND = take(position.principalDueVND)
        prepaidPrincipalVND = take(position.laterPrincipalVND)
        assert(left == .zero, "an amount within what is owed is allocated in full")
        unpaidOverdueInterestAfterVND = position.overdueInterestVND - overdueInterestVND
        unpaidInterestAfterVND = position.interestVND - interestVND
        outstandingPrincipalAfterVND = position.outstandingPrincipalVND - overduePrincipalVND - principalDueVND - prepaidPrincipalVND
    }

    /// Principal repaid by this repayment, all parts together.
    public var principalVND: VND { overduePrincipalVND + principalDueVND + prepaidPrincipalVND }

    /// Nothing owed afterwards: interest is allocated before principal, so no principal left
    /// means no interest left either.
    public var settlesLoan: Bool {
        outstandingPrincipalAfterVND == .zero && unpaidInterestAfterVND == .zero && unpaidOverdueInterestAfterVND == .zero
    }

    /// The event recording this allocation.
    public func event(repaymentID: String, paidOn: LocalDate) -> LoanRepaid {
        LoanRepaid(
            repaymentID: repaymentID, amountVND: amountVND, paidOn: paidOn,
            overdueInterestVND: overdueInterestVND, interestVND: interestVND,
            overduePrincipalVND: overduePrincipalVND, principalDueVND: principalDueVND,
            prepaidPrincipalVND: prepaidPrincipalVND, outstandingPrincipalAfterVND: outstandingPrincipalAfterVND,
            unpaidOverdueInterestAfterVND: unpaidOverdueInterestAfterVND, unpaidInterestAfterVND: unpaidInterestAfterVND
        )
    }
}
