import Ledger

/// The ranges the read side's folds rely on, checked on every decoded event (the ranges of
/// docs/rules: amounts within ±10^15 đồng, loan terms 1–600 months, rates 0–10,000 basis points).
/// Since migration 0009 the append refuses anything outside them; a ledger recorded before may
/// still hold such an event, and a fold must then stop before it, naming it, not trap on it.
enum EventLimits {
    static let maximumMonths = 600
    static let maximumBasisPoints = 10_000
    static let maximumMultiplierPercent = 1_000

    /// Why `event` is beyond what the folds can read, or nil.
    static func problem(in event: LedgerEvent) -> String? {
        switch event {
        case .programDefined(let definition), .programAmended(let definition):
            if let problem = amount(definition.capPerBeneficiaryVND, "cap_per_beneficiary_vnd") { return problem }
            guard let terms = definition.loanTerms else { return nil }
            return months(terms.maxTermMonths, "loan_terms.max_term_months")
                ?? months(terms.instalmentMonths, "loan_terms.instalment_months")
                ?? range(terms.overdueMultiplierPercent, 0...maximumMultiplierPercent, "loan_terms.overdue_multiplier_percent")
                ?? terms.ratePeriods.lazy.compactMap {
                    range($0.annualRateBasisPoints, 0...maximumBasisPoints, "loan_terms.rate_periods.annual_rate_basis_points")
                }.first
        case .budgetAllocated(let allocation): return amount(allocation.amountVND, "amount_vnd")
        case .budgetAdjusted(let adjustment): return amount(adjustment.deltaVND, "delta_vnd")
        case .fundsReserved(let reservation): return amount(reservation.amountVND, "amount_vnd")
        case .fundsReleased(let release): return amount(release.amountVND, "amount_vnd")
        case .benefitCommitted(let commitment): return amount(commitment.amountVND, "amount_vnd")
        case .benefitReleased(let release): return amount(release.amountVND, "amount_vnd")
        case .applicationSubmitted(let submission): return amount(submission.requestedVND, "requested_vnd")
        case .applicationApproved(let approval): return amount(approval.approvedVND, "approved_vnd")
        case .applicationWithdrawn(let withdrawal): return amount(withdrawal.releasedVND, "released_vnd")
        case .paymentRecorded(let payment): return amount(payment.amountVND, "amount_vnd")
        case .paymentReversed(let reversal): return amount(reversal.amountVND, "amount_vnd")
        case .loanOpened(let loan): return amount(loan.principalVND, "principal_vnd")
        case .applicationClosed(let closure):
            return amount(closure.paidVND, "paid_vnd") ?? amount(closure.releasedVND, "released_vnd")
        case .loanDisbursed(let disbursement):
            return amount(disbursement.principalVND, "principal_vnd")
                ?? months(disbursement.termMonths, "term_months")
                ?? months(disbursement.instalmentMonths, "instalment_months")
                ?? range(disbursement.overdueMultiplierPercent, 0...maximumMultiplierPercent, "overdue_multiplier_percent")
        case .loanRepaid(let repayment):
            return amount(repayment.amountVND, "amount_vnd")
                ?? amount(repayment.overdueInterestVND, "overdue_interest_vnd")
                ?? amount(repayment.interestVND, "interest_vnd")
                ?? amount(repayment.overduePrincipalVND, "overdue_principal_vnd")
                ?? amount(repayment.principalDueVND, "principal_due_vnd")
                ?? amount(repayment.prepaidPrincipalVND, "prepaid_principal_vnd")
                ?? amount(repayment.outstandingPrincipalAfterVND, "outstanding_principal_after_vnd")
                ?? amount(repayment.unpaidOverdueInterestAfterVND, "unpaid_overdue_interest_after_vnd")
                ?? amount(repayment.unpaidInterestAfterVND, "unpaid_interest_after_vnd")
        case .loanWrittenOff(let writeOff):
            return amount(writeOff.outstandingPrincipalVND, "outstanding_principal_vnd")
                ?? amount(writeOff.unpaidInterestVND, "unpaid_interest_vnd")
        case .beneficiaryRegistered, .beneficiaryAmended, .categoryDefined, .applicationRejected, .loanSettled, .unitDefined:
            return nil
        }
    }

    static func amount(_ value: VND, _ field: String) -> String? {
        value.amount.magnitude <= VND.maximumMagnitude.magnitude
            ? nil : "\(field) \(value.amount) is beyond the ledger's range (±\(VND.maximumMagnitude) đồng)"
    }

    static func months(_ value: Int, _ field: String) -> String? {
        range(value, 1...maximumMonths, field)
    }

    static func range(_ value: Int, _ range: ClosedRange<Int>, _ field: String) -> String? {
        range.contains(value) ? nil : "\(field) \(value) is outside \(range.lowerBound)–\(range.upperBound)"
    }
}
