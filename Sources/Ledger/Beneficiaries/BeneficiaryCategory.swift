/// Beneficiary categories (`poor`, `near-poor`, `ethnic-minority`, …) in one canonical form:
/// lowercase ASCII words joined by hyphens, diacritics removed. Programmes list the categories
/// they serve and beneficiaries the ones they belong to, and both are compared in this form, so
/// `Near poor`, `near_poor` and `NEAR-POOR` are the same category.
public enum BeneficiaryCategory {
    /// The canonical form of `text`, or a refusal naming `field`.
    public static func normalised(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingSpaces()
        try DomainText.checkCharacters(trimmed, field: field)
        guard trimmed.allSatisfy({ $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" }) else {
            throw DomainError.invalidInput(
                field: field, problem: "\(text.debugDescription) may use only letters, digits, spaces, '-' and '_' (e.g. near-poor)"
            )
        }
        let key = UnitCode.foldedKey(trimmed)  // the same folding as district names
        guard !key.isEmpty else {
            throw DomainError.invalidInput(field: field, problem: "must not be empty")
        }
        guard key.count <= DomainLimits.maximumCategoryCharacters else {
            throw DomainError.invalidInput(
                field: field, problem: "is \(key.count) characters; at most \(DomainLimits.maximumCategoryCharacters)"
            )
        }
        return key
    }

    /// Every category normalised, at most `DomainLimits.maximumCategories`, duplicates merged,
    /// sorted (so the order a person typed them in never makes two lists differ).
    public static func normalisedList(_ texts: [String], field: String) throws -> [String] {
        guard texts.count <= DomainLimits.maximumCategories else {
            throw DomainError.invalidInput(
                field: field, problem: "lists \(texts.count) categories; at most \(DomainLimits.maximumCategories)"
            )
        }
        let canonical = try texts.enumerated().map { index, text in
            try normalised(text, field: "\(field)[\(index)]")
        }
        return Array(Set(canonical)).sorted()
    }
}
