extension ProgramState {
    /// The loan terms repayments are decided with: the current definition's, with rate periods of
    /// earlier definitions kept for the days before its first period (read models use the same
    /// rule as the command handler, from one place).
    public var loanTermsAcrossAmendments: LoanTerms? {
        LedgerService.loanTermsAcrossAmendments(self)
    }
}
