/// The named bounds of the disbursement domain: every text, count and range a command or a
/// catalog may carry is checked against one of these before anything is decided. (Loan figures
/// have their own bounds in `LoanLimits`.)
public enum DomainLimits {
    /// A budget's reference (allocation decision, adjustment) and an approval's decision reference.
    public static let maximumReferenceCharacters = 200
    /// Why an application was rejected or withdrawn, or a payment reversed.
    public static let maximumReasonCharacters = 500
    /// A payment voucher's reference (số chứng từ).
    public static let maximumVoucherCharacters = 100
    /// A beneficiary's name (a person's full name or a household head's).
    public static let maximumBeneficiaryNameCharacters = 200
    /// Categories one beneficiary or one programme may list.
    public static let maximumCategories = 20
    /// One category, after normalisation (`ethnic-minority`).
    public static let maximumCategoryCharacters = 64
    /// A bank account (the longest IBAN is 34 characters).
    public static let maximumBankAccountCharacters = 34
    /// A programme's Vietnamese or English name.
    public static let maximumProgramNameCharacters = 300
    /// A programme's legal basis text.
    public static let maximumLegalBasisCharacters = 2_000
    /// Fiscal years the ledger accepts.
    public static let fiscalYears = 2000...2100
    /// Size of a catalog file an admin loads.
    public static let maximumCatalogBytes = 1_048_576
    /// Programmes in one catalog: loading appends to one stream per programme in one atomic
    /// call, and the store takes at most 100 streams per append (`ledger.limits()`).
    public static let maximumCatalogPrograms = 100
    /// Rate periods of one loan programme in a catalog (tighter than `LoanLimits.maximumRatePeriods`)
    /// so that a whole definition always fits in one event (the store's payload limit is 64 KiB).
    public static let maximumCatalogRatePeriods = 200
    /// Nesting of the catalog's JSON (the catalog itself needs 5).
    public static let maximumCatalogNesting = 8
    /// The national id fingerprint's key: at least as long as the SHA-256 output (RFC 2104).
    public static let minimumNationalIDKeyBytes = 32
}

/// Free text a person types (references, reasons, vouchers, names), checked one way everywhere.
public enum DomainText {
    /// Trims surrounding whitespace, then requires 1…`maximumCharacters` characters and no
    /// control characters (line breaks, tabs), so every line of a report stays one line.
    public static func validated(_ text: String, field: String, maximumCharacters: Int) throws -> String {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else {
            throw DomainError.invalidInput(field: field, problem: "must not be empty")
        }
        let count = trimmed.count
        guard count <= maximumCharacters else {
            throw DomainError.invalidInput(field: field, problem: "is \(count) characters; at most \(maximumCharacters)")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw DomainError.invalidInput(field: field, problem: "must not contain control characters (line breaks, tabs)")
        }
        return trimmed
    }
}
