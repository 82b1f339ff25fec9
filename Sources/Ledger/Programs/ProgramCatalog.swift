/// The programme catalog an admin loads (`ledger program load FILE`): JSON text, read strictly.
///
/// ```json
/// {"catalog_version": 1, "programs": [{"code": "NQ12-HOUSING", "name_vi": "…", "name_en": "…",
///   "legal_basis": "…", "kind": "grant", "beneficiary_kinds": ["household"],
///   "eligible_categories": ["poor"], "cap_per_beneficiary_vnd": 40000000,
///   "valid_from": "2024-01-01", "valid_until": "2025-12-31", "once_only": true,
///   "effective_from": "2024-01-01", "illustrative": true}]}
/// ```
///
/// Loan programmes add `"loan_terms": {"rate_periods": [{"from": "2024-01-01",
/// "annual_rate_basis_points": 660}], "overdue_multiplier_percent": 130, "max_term_months": 60,
/// "instalment_months": 3}`; grants must not. Every field is required, unknown fields are
/// refused, and each error names the programme and the field
/// (`programs[2].cap_per_beneficiary_vnd: must be a positive whole number of đồng`).
/// Categories are stored in their canonical form (`BeneficiaryCategory`), beneficiary kinds and
/// categories in a fixed order, so reordering them in the file is not an amendment.
///
/// A catalog may declare the beneficiary categories the ledger knows, each with its labels:
/// `"categories": [{"name": "near-poor", "label_vi": "Hộ cận nghèo", "label_en": "Near-poor household"}]`.
/// Loading records each as `CategoryDefined`; a programme of a catalog that declares categories
/// may list only those. The ledger knows the declared categories and every category a programme
/// lists as eligible; registering or amending a beneficiary with another is refused.
public struct ProgramCatalog: Sendable, Equatable {
    /// The only `catalog_version` this ledger reads.
    public static let supportedVersion = 1

    public let catalogVersion: Int
    /// In the order of the file.
    public let programs: [ProgramDefinition]
    /// The categories the catalog declares, in the order of the file (canonical names).
    public let categories: [CategoryDefined]
    /// At most this many categories in one catalog.
    public static let maximumCategories = 200

    /// The stream of each programme, in catalog order (what the handler loads before deciding).
    public var streamIDs: [String] { programs.map { Streams.program($0.code) } }

    public init(catalogVersion: Int = ProgramCatalog.supportedVersion, programs: [ProgramDefinition], categories: [CategoryDefined] = []) {
        self.catalogVersion = catalogVersion
        self.programs = programs
        self.categories = categories
    }

    static let documentKeys = ["catalog_version", "programs", "categories"]
    static let categoryKeys = ["name", "label_vi", "label_en"]
    static let programKeys = [
        "code", "name_vi", "name_en", "legal_basis", "kind", "beneficiary_kinds", "eligible_categories",
        "cap_per_beneficiary_vnd", "valid_from", "valid_until", "once_only", "effective_from", "illustrative", "loan_terms",
    ]
    static let loanTermKeys = ["rate_periods", "overdue_multiplier_percent", "max_term_months", "instalment_months"]
    static let ratePeriodKeys = ["from", "annual_rate_basis_points"]

    /// Parses and checks a whole catalog; the first problem found is thrown.
    public init(parsing text: String) throws {
        let size = text.utf8.count
        guard size <= DomainLimits.maximumCatalogBytes else {
            throw DomainError.invalidInput(field: "catalog", problem: "is \(size) bytes; at most \(DomainLimits.maximumCatalogBytes)")
        }
        let document = try CatalogObject(
            try CatalogJSON.parse(text, field: "catalog"), path: "", allowedKeys: Self.documentKeys, describedAs: "a catalog"
        )
        let version = try document.wholeNumber(
            "catalog_version", in: 1...Int64(Int32.max),
            problem: "must be \(Self.supportedVersion) (the catalog version this ledger reads)"
        )
        guard version == Int64(Self.supportedVersion) else {
            throw DomainError.invalidInput(
                field: "catalog_version", problem: "is \(version); this ledger reads catalog version \(Self.supportedVersion)"
            )
        }
        let entries = try document.array("programs", maximumCount: DomainLimits.maximumCatalogPrograms)
        guard !entries.isEmpty else {
            throw DomainError.invalidInput(field: "programs", problem: "must list at least one programme")
        }
        let categories = document.has("categories") ? try Self.categories(try document.array("categories", maximumCount: Self.maximumCategories)) : []
        var programs: [ProgramDefinition] = []
        var indexByCode: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let program = try Self.program(entry, path: "programs[\(index)]")
            // Case-insensitive: `nq12-housing` next to `NQ12-HOUSING` would be two streams for one programme.
            if let earlier = indexByCode[program.code.lowercased()] {
                throw DomainError.invalidInput(
                    field: "programs[\(index)].code",
                    problem: "\(program.code) is already defined by programs[\(earlier)]; each code may appear once"
                )
            }
            indexByCode[program.code.lowercased()] = index
            if !categories.isEmpty, let undeclared = program.eligibleCategories.first(where: { name in !categories.contains { $0.name == name } }) {
                throw DomainError.invalidInput(
                    field: "programs[\(index)].eligible_categories",
                    problem: "\(undeclared.debugDescription) is not among the catalog's categories "
                        + "(\(categories.map(\.name).joined(separator: ", "))) (programme \(program.code))"
                )
            }
            programs.append(program)
        }
        self.init(catalogVersion: Int(version), programs: programs, categories: categories)
    }

    /// The declared categories: canonical names, each once, with both labels.
    static func categories(_ entries: [CatalogJSON.Value]) throws -> [CategoryDefined] {
        var categories: [CategoryDefined] = []
        for (index, entry) in entries.enumerated() {
            let object = try CatalogObject(entry, path: "categories[\(index)]", allowedKeys: categoryKeys, describedAs: "a category")
            let name = try BeneficiaryCategory.normalised(
                try object.text("name", maximumCharacters: DomainLimits.maximumCategoryCharacters), field: object.field("name")
            )
            if let earlier = categories.firstIndex(where: { $0.name == name }) {
                throw DomainError.invalidInput(
                    field: object.field("name"), problem: "\(name) is already declared by categories[\(earlier)]; each category may appear once"
                )
            }
            categories.append(CategoryDefined(
                name: name,
                labelVi: try object.text("label_vi", maximumCharacters: DomainLimits.maximumProgramNameCharacters),
                labelEn: try object.text("label_en", maximumCharacters: DomainLimits.maximumProgramNameCharacters)
            ))
        }
        return categories
    }

    static func program(_ value: CatalogJSON.Value, path: String) throws -> ProgramDefinition {
        let object = try CatalogObject(value, path: path, allowedKeys: programKeys, describedAs: "a programme")
        let code = try Identifier.validated(try object.text("code", maximumCharacters: Identifier.maximumLength), field: object.field("code"))
        do {
            return try programFields(object, code: code)
        } catch let error as DomainError {
            // Name the programme too, so an admin finds it in a long file.
            throw DomainError(error.code, "\(error.message) (programme \(code))", field: error.field)
        }
    }

    static func programFields(_ object: CatalogObject, code: String) throws -> ProgramDefinition {
        let nameVi = try object.text("name_vi", maximumCharacters: DomainLimits.maximumProgramNameCharacters)
        let nameEn = try object.text("name_en", maximumCharacters: DomainLimits.maximumProgramNameCharacters)
        let legalBasis = try object.text("legal_basis", maximumCharacters: DomainLimits.maximumLegalBasisCharacters)

        let kindText = try object.text("kind", maximumCharacters: Identifier.maximumLength)
        guard let kind = ProgramKind(rawValue: kindText) else {
            throw DomainError.invalidInput(field: object.field("kind"), problem: "\(kindText.debugDescription) must be \"grant\" or \"loan\"")
        }

        let kindTexts = try object.strings("beneficiary_kinds", maximumCount: BeneficiaryKind.allCases.count)
        var beneficiaryKinds: Set<BeneficiaryKind> = []
        for (index, text) in kindTexts.enumerated() {
            guard let beneficiaryKind = BeneficiaryKind(rawValue: text) else {
                throw DomainError.invalidInput(
                    field: "\(object.field("beneficiary_kinds"))[\(index)]", problem: "\(text.debugDescription) must be \"person\" or \"household\""
                )
            }
            beneficiaryKinds.insert(beneficiaryKind)
        }
        guard !beneficiaryKinds.isEmpty else {
            throw DomainError.invalidInput(field: object.field("beneficiary_kinds"), problem: "must list \"person\", \"household\" or both")
        }

        let categories = try BeneficiaryCategory.normalisedList(
            try object.strings("eligible_categories", maximumCount: DomainLimits.maximumCategories),
            field: object.field("eligible_categories")
        )

        let cap = try object.wholeNumber(
            "cap_per_beneficiary_vnd", in: 1...VND.maximumMagnitude, problem: "must be a positive whole number of đồng"
        )

        let validFrom = try object.date("valid_from")
        let validUntil = try object.date("valid_until")
        guard validFrom <= validUntil else {
            throw DomainError.invalidInput(field: object.field("valid_until"), problem: "\(validUntil) is before valid_from \(validFrom)")
        }
        let onceOnly = try object.bool("once_only")
        let effectiveFrom = try object.date("effective_from")
        let illustrative = try object.bool("illustrative")

        let loanTerms: LoanTerms?
        switch (kind, object.has("loan_terms")) {
        case (.loan, true):
            loanTerms = try Self.loanTerms(try object.required("loan_terms"), path: object.field("loan_terms"), validFrom: validFrom)
        case (.loan, false):
            throw DomainError.invalidInput(field: object.field("loan_terms"), problem: "is required for a loan programme")
        case (.grant, true):
            throw DomainError.invalidInput(field: object.field("loan_terms"), problem: "must be absent for a grant programme")
        case (.grant, false):
            loanTerms = nil
        }

        return ProgramDefinition(
            code: code, nameVi: nameVi, nameEn: nameEn, legalBasis: legalBasis, kind: kind,
            beneficiaryKinds: BeneficiaryKind.allCases.filter(beneficiaryKinds.contains), eligibleCategories: categories,
            capPerBeneficiaryVND: VND(cap), validFrom: validFrom, validUntil: validUntil, onceOnly: onceOnly,
            effectiveFrom: effectiveFrom, illustrative: illustrative, loanTerms: loanTerms
        )
    }

    static func loanTerms(_ value: CatalogJSON.Value, path: String, validFrom: LocalDate) throws -> LoanTerms {
        let object = try CatalogObject(value, path: path, allowedKeys: loanTermKeys, describedAs: "loan terms")
        let periodValues = try object.array("rate_periods", maximumCount: min(DomainLimits.maximumCatalogRatePeriods, LoanLimits.maximumRatePeriods))
        guard !periodValues.isEmpty else {
            throw DomainError.invalidInput(field: object.field("rate_periods"), problem: "must list at least one rate period")
        }
        var periods: [RatePeriod] = []
        for (index, periodValue) in periodValues.enumerated() {
            let period = try CatalogObject(
                periodValue, path: "\(object.field("rate_periods"))[\(index)]", allowedKeys: ratePeriodKeys, describedAs: "a rate period"
            )
            let from = try period.date("from")
            let rate = try period.wholeNumber(
                "annual_rate_basis_points", in: 0...Int64(LoanLimits.maximumAnnualRateBasisPoints),
                problem: "must be a whole number of basis points from 0 to \(LoanLimits.maximumAnnualRateBasisPoints) (660 = 6.60 % a year)"
            )
            if let previous = periods.last, from <= previous.from {
                throw DomainError.invalidInput(
                    field: period.field("from"),
                    problem: "\(from) is not after the previous period's \(previous.from); rate periods must be in date order"
                )
            }
            if index == 0, from > validFrom {
                throw DomainError.invalidInput(
                    field: period.field("from"),
                    problem: "\(from) is after valid_from \(validFrom); the first rate period must cover the whole validity window"
                )
            }
            periods.append(RatePeriod(from: from, annualRateBasisPoints: Int(rate)))
        }
        let multiplier = try object.wholeNumber(
            "overdue_multiplier_percent",
            in: Int64(LoanLimits.minimumOverdueMultiplierPercent)...Int64(LoanLimits.maximumOverdueMultiplierPercent),
            problem: "must be a whole percentage from \(LoanLimits.minimumOverdueMultiplierPercent) to \(LoanLimits.maximumOverdueMultiplierPercent) (130 = overdue interest at 1.3 × the rate)"
        )
        let maximumTerm = try object.wholeNumber(
            "max_term_months", in: 1...Int64(LoanLimits.maximumTermMonths),
            problem: "must be a whole number of months from 1 to \(LoanLimits.maximumTermMonths)"
        )
        let instalment = try object.wholeNumber(
            "instalment_months", in: 1...Int64(LoanLimits.maximumTermMonths),
            problem: "must be a whole number of months from 1 to \(LoanLimits.maximumTermMonths) (1 monthly, 3 quarterly)"
        )
        guard maximumTerm >= instalment, maximumTerm % instalment == 0 else {
            throw DomainError.invalidInput(
                field: object.field("max_term_months"),
                problem: "\(maximumTerm) must be at least instalment_months (\(instalment)) and a multiple of it"
            )
        }
        return LoanTerms(
            ratePeriods: periods, overdueMultiplierPercent: Int(multiplier), maxTermMonths: Int(maximumTerm), instalmentMonths: Int(instalment)
        )
    }
}
