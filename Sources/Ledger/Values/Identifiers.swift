/// Identifiers people type (beneficiary, application, payment, loan, repayment ids; programme
/// codes): 1–64 characters of `A–Z a–z 0–9 . _ -`, starting with a letter or digit, so they can
/// be part of a stream id unchanged.
public enum Identifier {
    public static let maximumLength = 64

    /// Checks `text` and returns it, or refuses naming `field`.
    public static func validated(_ text: String, field: String) throws -> String {
        let bytes = Array(text.utf8)
        func allowed(_ byte: UInt8) -> Bool {
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 46 || byte == 95 || byte == 45
        }
        guard !bytes.isEmpty else {
            throw DomainError.invalidInput(field: field, problem: Message("must not be empty"))
        }
        // Name an invisible or direction-changing character (e.g. a right-to-left override) by its code point.
        try DomainText.checkCharacters(text, field: field)
        guard bytes.count <= maximumLength else {
            throw DomainError.invalidInput(field: field, problem: "is \(bytes.count) \(text.unicodeScalars.count == bytes.count ? "characters" : "bytes of UTF-8"); at most \(maximumLength)")
        }
        guard bytes.allSatisfy(allowed), bytes[0] != 46, bytes[0] != 95, bytes[0] != 45 else {
            throw DomainError.invalidInput(
                field: field, problem: Message(
                    "{0} may use only letters, digits, '.', '_' and '-', starting with a letter or digit", .text(text.debugDescription)
                )
            )
        }
        return text
    }
}

/// Stream ids of the domain's aggregates: one place for their shapes.
public enum Streams {
    public static func program(_ code: String) -> String { "program-\(code)" }
    public static func budget(program: String, year: Int, district: UnitCode) -> String { "budget-\(program)-\(year)-\(district.code)" }
    public static func beneficiary(_ id: String) -> String { "beneficiary-\(id)" }
    public static func application(_ id: String) -> String { "application-\(id)" }
    public static func loan(_ id: String) -> String { "loan-\(id)" }
    /// An administrative unit (`unit-phuong-cai-khe`).
    public static func unit(_ code: UnitCode) -> String { "unit-\(code.code)" }
    /// A known beneficiary category (`category-near-poor`).
    public static func category(_ name: String) -> String { "category-\(name)" }
}
