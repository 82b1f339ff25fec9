/// The named bounds of the loan model. Every figure a loan computes with is checked against one
/// of these before any arithmetic, so the integer arithmetic below can never overflow silently.
public enum LoanLimits {
    /// The longest term a programme may offer or a borrower may take: 50 years.
    public static let maximumTermMonths = 600

    /// The highest annual rate a programme may set: 10,000 basis points = 100 % a year.
    public static let maximumAnnualRateBasisPoints = 10_000

    /// Overdue interest is never charged below the contractual rate (100 %).
    public static let minimumOverdueMultiplierPercent = 100

    /// … and never above ten times it (1,000 %).
    public static let maximumOverdueMultiplierPercent = 1_000

    /// Rate periods one programme may carry (a new period every month for 80 years fits).
    public static let maximumRatePeriods = 1_000

    /// The longest write-off reason, in characters.
    public static let maximumReasonCharacters = 500
}
