import Foundation

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
    /// Trims surrounding whitespace and composes the text to Unicode NFC (so `Nguye\u{0302}\u{0303}n`
    /// typed in decomposed form is stored as `Nguyễn`, and searches and duplicate checks match
    /// however it was typed), then requires: no control characters (line breaks, tabs), no
    /// format characters (Unicode category Cf: bidirectional overrides and isolates, zero-width
    /// spaces and joiners, the byte-order mark, the soft hyphen, …) and no other invisible
    /// characters, so the text reads as what it is; at least one visible character; and at most
    /// `maximumCharacters` Unicode code points and 4 × `maximumCharacters` bytes of UTF-8 (code
    /// points, not characters as displayed: one displayed character may carry any number of
    /// combining marks). The database checks the same (`ledger.text_problem`).
    public static func validated(_ text: String, field: String, maximumCharacters: Int) throws -> String {
        let trimmed = text.trimmingSpaces().precomposedStringWithCanonicalMapping
        guard !trimmed.isEmpty else {
            throw DomainError.invalidInput(field: field, problem: Message("must not be empty"))
        }
        try checkCharacters(trimmed, field: field)
        let bytes = trimmed.utf8.count
        guard bytes <= 4 * maximumCharacters else {
            throw DomainError.invalidInput(
                field: field, problem: "is \(bytes) bytes of UTF-8; at most \(4 * maximumCharacters) (4 for each of the \(maximumCharacters) characters allowed)"
            )
        }
        let scalars = trimmed.unicodeScalars.count
        guard scalars <= maximumCharacters else {
            let displayed = trimmed.count
            let problem = displayed == scalars
                ? "is \(scalars) characters; at most \(maximumCharacters)"
                : "is \(scalars) characters counted as Unicode code points (\(displayed) as displayed, with combining marks); at most \(maximumCharacters)"
            throw DomainError.invalidInput(field: field, problem: problem)
        }
        guard trimmed.unicodeScalars.contains(where: isVisible) else {
            throw DomainError.invalidInput(field: field, problem: "must contain a visible character")
        }
        return trimmed
    }

    /// Refuses the first control, line-separator, format or other invisible (default-ignorable)
    /// code point in `text`, naming it: `contains U+202E RIGHT-TO-LEFT OVERRIDE, a format character; …`.
    public static func checkCharacters(_ text: String, field: String) throws {
        for scalar in text.unicodeScalars {
            if let kind = refusedKind(scalar) {
                throw DomainError.invalidInput(field: field, problem: "contains \(describe(scalar)), \(kind)")
            }
        }
    }

    /// Why `scalar` is refused in typed text, or nil when it is fine.
    static func refusedKind(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.properties.generalCategory {
        case .control:
            return "a control character: control characters (line breaks, tabs) are not allowed; type the text on one line"
        case .lineSeparator, .paragraphSeparator:
            return "a line break: type the text on one line"
        case .format:
            return "a format character; type the text without it"
        default:
            if scalar.properties.isDefaultIgnorableCodePoint || invisibleLetters.contains(scalar.value) {
                return "an invisible character; type the text without it"
            }
            return nil
        }
    }

    /// Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern).
    static let invisibleLetters: Set<UInt32> = [0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0]

    /// A code point that shows something: not whitespace, not invisible, not refused.
    static func isVisible(_ scalar: Unicode.Scalar) -> Bool {
        !scalar.properties.isWhitespace && refusedKind(scalar) == nil
    }

    /// `U+202E RIGHT-TO-LEFT OVERRIDE`, `U+000A LINE FEED`.
    public static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        guard let name = scalar.properties.name ?? scalar.properties.nameAlias, !name.isEmpty else { return code }
        return code + " " + name
    }

    /// The 1-based position of the first byte of `bytes` that is not part of valid UTF-8 (strict:
    /// no overlong forms, no surrogates, nothing above U+10FFFF), or nil when all of it is valid.
    public static func firstInvalidUTF8Byte<Bytes: Sequence>(_ bytes: Bytes) -> Int? where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset + 1
            }
        }
    }
}
