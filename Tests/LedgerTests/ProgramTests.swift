import Foundation
import Ledger
import Testing

/// A one-programme catalog whose programme fields can be replaced or removed (`nil`), as JSON text.
func catalogJSON(_ changes: [String: String?] = [:], extraTopLevel: String = "") -> String {
    var fields: [(String, String)] = [
        ("code", #""NQ12-WATER""#), ("name_vi", #""Hỗ trợ nước sinh hoạt""#), ("name_en", #""Domestic water support""#),
        ("legal_basis", #""Nghị quyết 12/2023/NQ-HĐND""#), ("kind", #""grant""#), ("beneficiary_kinds", #"["household"]"#),
        ("eligible_categories", #"["poor"]"#), ("cap_per_beneficiary_vnd", "10000000"), ("valid_from", #""2024-01-01""#),
        ("valid_until", #""2025-12-31""#), ("once_only", "true"), ("effective_from", #""2024-01-01""#), ("illustrative", "true"),
    ]
    for (key, value) in changes where !fields.contains(where: { $0.0 == key }) {
        if let value { fields.append((key, value)) }
    }
    let body = fields.compactMap { key, value -> String? in
        if let change = changes[key] { return change.map { "\"\(key)\": \($0)" } }
        return "\"\(key)\": \(value)"
    }.joined(separator: ", ")
    return #"{"catalog_version": 1, "programs": [{"code": "NQ12-HOUSING", "name_vi": "Nhà ở", "name_en": "Housing", "legal_basis": "NQ 12", "kind": "grant", "beneficiary_kinds": ["household"], "eligible_categories": ["poor"], "cap_per_beneficiary_vnd": 40000000, "valid_from": "2024-01-01", "valid_until": "2025-12-31", "once_only": true, "effective_from": "2024-01-01", "illustrative": true}, {"#
        + body + "}]" + extraTopLevel + "}"
}

let loanTermsJSON = #"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660}], "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}"#

@Suite struct SampleCatalogTests {
    @Test func theSampleCatalogDefinesTheSevenProgrammesOfTheResolutions() throws {
        let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
        #expect(catalog.programs.map(\.code) == [
            "NQ11-TRAIN-ELEMENTARY", "NQ11-TRAIN-VOCATIONAL", "NQ11-OVERSEAS-LOAN",
            "NQ12-HOUSING", "NQ12-WATER", "NQ12-ELECTRICITY", "NQ12-LATRINE",
        ])
        #expect(catalog.programs.allSatisfy { $0.illustrative })
        #expect(catalog.programs.filter { $0.code.hasPrefix("NQ11") }.allSatisfy { $0.legalBasis.contains("11/2023/NQ-HĐND") && $0.legalBasis.contains("27/KH-UBND") })
        #expect(catalog.programs.filter { $0.code.hasPrefix("NQ12") }.allSatisfy { $0.legalBasis.contains("12/2023/NQ-HĐND") && $0.legalBasis.contains("05/KH-UBND") })
        #expect(catalog.programs.allSatisfy { !$0.nameVi.isEmpty && !$0.nameEn.isEmpty })
        #expect(catalog.streamIDs.first == "program-NQ11-TRAIN-ELEMENTARY")
    }

    @Test func thePoorHouseholdProgrammesAreOnceOnlyWithTheirIllustrativeCaps() throws {
        let programs = Dictionary(uniqueKeysWithValues: try ProgramCatalog(parsing: SampleCatalog.json).programs.map { ($0.code, $0) })
        let caps: [String: VND] = ["NQ12-HOUSING": 40_000_000, "NQ12-WATER": 10_000_000, "NQ12-ELECTRICITY": 5_000_000, "NQ12-LATRINE": 6_000_000]
        for (code, cap) in caps {
            let program = try #require(programs[code])
            #expect(program.capPerBeneficiaryVND == cap)
            #expect(program.onceOnly)
            #expect(program.kind == .grant)
            #expect(program.beneficiaryKinds == [.household])
            #expect(program.eligibleCategories == ["poor"])
            #expect(program.validFrom == Fixtures.date("2024-01-01") && program.validUntil == Fixtures.date("2025-12-31"))
        }
    }

    @Test func theOverseasLoanCarriesItsTerms() throws {
        let loan = try #require(try ProgramCatalog(parsing: SampleCatalog.json).programs.first { $0.code == "NQ11-OVERSEAS-LOAN" })
        #expect(loan.kind == .loan)
        #expect(loan.capPerBeneficiaryVND == 150_000_000)
        #expect(loan.loanTerms == LoanTerms(
            ratePeriods: [RatePeriod(from: Fixtures.date("2024-01-01"), annualRateBasisPoints: 660)],
            overdueMultiplierPercent: 130, maxTermMonths: 60, instalmentMonths: 3
        ))
    }

    @Test func loadingTheSampleCatalogDefinesEachProgrammeInItsOwnNewStream() throws {
        let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
        let decision = try ProgramDecisions.load(catalog: catalog, existing: [:])
        #expect(!decision.alreadyDone)
        // The six declared categories first (each on its own stream), then the seven programmes.
        #expect(decision.streams.count == 13)
        #expect(decision.streams.prefix(6).map(\.stream) == catalog.categories.map { "category-\($0.name)" })
        for (entry, program) in zip(decision.streams.dropFirst(6), catalog.programs) {
            #expect(entry.stream == "program-\(program.code)")
            #expect(entry.expectedVersion == 0)
            #expect(entry.events == [.programDefined(program)])
        }
    }
}

@Suite struct CatalogLoadingTests {
    static func loaded(_ catalog: ProgramCatalog) throws -> [String: ProgramState] {
        let decision = try ProgramDecisions.load(catalog: catalog, existing: [:])
        var states: [String: ProgramState] = [:]
        for entry in decision.streams {
            let state = Fixtures.after(ProgramState(streamID: entry.stream), entry.stream, decision, actor: "admin")
            states[state.code] = state
        }
        return states
    }

    @Test func loadingTheSameCatalogTwiceAppendsNothing() throws {
        let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
        let existing = try Self.loaded(catalog)
        let categories = Dictionary(uniqueKeysWithValues: catalog.categories.map { ($0.name, ($0, version: Int64(1))) })
        let again = try ProgramDecisions.load(catalog: try ProgramCatalog(parsing: SampleCatalog.json), existing: existing,
                                              existingCategories: categories)
        #expect(again.streams.isEmpty)
        #expect(again.alreadyDone)
        #expect(again.summary.contains("unchanged"))
    }

    @Test func reorderingKindsAndCategoriesIsNotAnAmendment() throws {
        let first = try ProgramCatalog(parsing: catalogJSON([
            "beneficiary_kinds": #"["person", "household"]"#, "eligible_categories": #"["poor", "Near Poor"]"#,
        ]))
        let second = try ProgramCatalog(parsing: catalogJSON([
            "beneficiary_kinds": #"["household", "person"]"#, "eligible_categories": #"["near-poor", "POOR"]"#,
        ]))
        #expect(try ProgramDecisions.load(catalog: second, existing: try Self.loaded(first)).streams.isEmpty)
        #expect(second.programs[1].eligibleCategories == ["near-poor", "poor"])
        #expect(second.programs[1].beneficiaryKinds == [.person, .household])
    }

    @Test func aChangedProgrammeWithALaterEffectiveDateIsAmended() throws {
        let existing = try Self.loaded(try ProgramCatalog(parsing: catalogJSON()))
        let amended = try ProgramCatalog(parsing: catalogJSON(["cap_per_beneficiary_vnd": "12000000", "effective_from": #""2025-01-01""#]))
        let decision = try ProgramDecisions.load(catalog: amended, existing: existing)
        #expect(decision.streams == [StreamEvents(stream: "program-NQ12-WATER", expectedVersion: 1, events: [.programAmended(amended.programs[1])])])
        #expect(decision.summary.contains("amended NQ12-WATER"))
        #expect(decision.summary.contains("1 unchanged"))
    }

    @Test func aChangedProgrammeWithoutALaterEffectiveDateIsRefused() throws {
        let existing = try Self.loaded(try ProgramCatalog(parsing: catalogJSON()))
        let changed = try ProgramCatalog(parsing: catalogJSON(["cap_per_beneficiary_vnd": "12000000"]))
        let error = try #require(refusal { try ProgramDecisions.load(catalog: changed, existing: existing) })
        #expect(error.code == .invalidInput)
        #expect(error.field == "programs[1].effective_from")
        #expect(error.message.contains("NQ12-WATER"))
        #expect(error.message.contains("2024-01-01"))
        #expect(error.message.contains("later date"))
    }

    @Test func aGrantCannotBeAmendedIntoALoan() throws {
        let existing = try Self.loaded(try ProgramCatalog(parsing: catalogJSON()))
        let changed = try ProgramCatalog(parsing: catalogJSON([
            "kind": #""loan""#, "loan_terms": loanTermsJSON, "effective_from": #""2025-01-01""#, "beneficiary_kinds": #"["person"]"#,
        ]))
        let error = try #require(refusal { try ProgramDecisions.load(catalog: changed, existing: existing) })
        #expect(error.field == "programs[1].kind")
        #expect(error.message.contains("grant programme and cannot become a loan one"))
    }
}

@Suite struct CatalogParsingTests {
    @Test func aValidCatalogIsReadWithTrimmedTextAndCanonicalCategories() throws {
        let catalog = try ProgramCatalog(parsing: catalogJSON(["name_en": #""  Water  ""#, "eligible_categories": #"["Hộ nghèo", "ethnic_minority"]"#]))
        let water = catalog.programs[1]
        #expect(water.nameEn == "Water")
        #expect(water.eligibleCategories == ["ethnic-minority", "ho-ngheo"])
        #expect(water.capPerBeneficiaryVND == 10_000_000)
        #expect(water.loanTerms == nil)
    }

    @Test(arguments: [
        ("cap_per_beneficiary_vnd", "0", "must be a positive whole number of đồng"),
        ("cap_per_beneficiary_vnd", "-5", "must be a positive whole number of đồng"),
        ("cap_per_beneficiary_vnd", "5.5", "must be a positive whole number of đồng"),
        ("cap_per_beneficiary_vnd", "5000000.0", "must be a positive whole number of đồng"),
        ("cap_per_beneficiary_vnd", "1e7", "must be a positive whole number of đồng"),
        ("cap_per_beneficiary_vnd", #""5000000""#, "must be a positive whole number of đồng"),
        ("cap_per_beneficiary_vnd", "99999999999999999999", "must be a positive whole number of đồng"),
        ("kind", #""subsidy""#, #"must be "grant" or "loan""#),
        ("beneficiary_kinds", #"["family"]"#, #"must be "person" or "household""#),
        ("beneficiary_kinds", "[]", "must list"),
        ("eligible_categories", #"["poor/near-poor"]"#, "may use only letters"),
        ("eligible_categories", "[1]", "must be a string"),
        ("valid_from", #""2024-02-30""#, "not a day of the calendar"),
        ("valid_until", #""2023-12-31""#, "is before valid_from 2024-01-01"),
        ("effective_from", "20240101", "must be a date"),
        ("once_only", #""yes""#, "must be true or false"),
        ("illustrative", "1", "must be true or false"),
        ("name_vi", #""   ""#, "must not be empty"),
        ("legal_basis", "null", "is required"),
        ("illustrative", nil, "is required"),
        ("loan_terms", loanTermsJSON, "must be absent for a grant programme"),
        ("colour", #""blue""#, "is not a field of a programme"),
    ] as [(String, String?, String)])
    func aBadProgrammeFieldIsRefusedNamingTheProgrammeAndTheField(key: String, value: String?, problem: String) throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: catalogJSON([key: value])) })
        #expect(error.code == .invalidInput)
        let field = try #require(error.field)
        #expect(field.hasPrefix("programs[1].\(key)"))
        #expect(error.message.contains(problem))
        if key != "colour" {
            #expect(error.message.contains("(programme NQ12-WATER)"))
        }
    }

    @Test func theCapErrorReadsAsAnAdminExpects() throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: catalogJSON(["cap_per_beneficiary_vnd": "0"])) })
        #expect(error.description == "programs[1].cap_per_beneficiary_vnd: must be a positive whole number of đồng (programme NQ12-WATER)")
    }

    @Test(arguments: [
        (#""nq12 water""#, "may use only letters"),
        (#""""#, "must not be empty"),
        ("7", "must be a string"),
    ])
    func aBadCodeIsRefused(value: String, problem: String) throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: catalogJSON(["code": value])) })
        #expect(error.field == "programs[1].code")
        #expect(error.message.contains(problem))
    }

    @Test(arguments: ["NQ12-HOUSING", "nq12-housing"])
    func aDuplicateCodeIsRefused(code: String) throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: catalogJSON(["code": "\"\(code)\""])) })
        #expect(error.field == "programs[1].code")
        #expect(error.message.contains("already defined by programs[0]"))
    }

    @Test func aLoanProgrammeWithoutTermsIsRefused() throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: catalogJSON(["kind": #""loan""#])) })
        #expect(error.field == "programs[1].loan_terms")
        #expect(error.message.contains("is required for a loan programme"))
    }

    @Test func aLoanProgrammeWithTermsIsRead() throws {
        let catalog = try ProgramCatalog(parsing: catalogJSON(["kind": #""loan""#, "loan_terms": loanTermsJSON]))
        #expect(catalog.programs[1].loanTerms?.instalmentMonths == 3)
    }

    @Test(arguments: [
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 10001}], "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}"#,
         "programs[1].loan_terms.rate_periods[0].annual_rate_basis_points", "from 0 to 10000"),
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": -1}], "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}"#,
         "programs[1].loan_terms.rate_periods[0].annual_rate_basis_points", "from 0 to 10000"),
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660}, {"from": "2024-01-01", "annual_rate_basis_points": 700}], "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}"#,
         "programs[1].loan_terms.rate_periods[1].from", "must be in date order"),
        (#"{"rate_periods": [{"from": "2024-07-01", "annual_rate_basis_points": 660}, {"from": "2024-01-01", "annual_rate_basis_points": 700}], "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}"#,
         "programs[1].loan_terms.rate_periods[0].from", "must cover the whole validity window"),
        (#"{"rate_periods": [], "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}"#,
         "programs[1].loan_terms.rate_periods", "at least one rate period"),
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660}], "overdue_multiplier_percent": 130, "max_term_months": 2, "instalment_months": 3}"#,
         "programs[1].loan_terms.max_term_months", "at least instalment_months (3) and a multiple of it"),
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660}], "overdue_multiplier_percent": 130, "max_term_months": 61, "instalment_months": 3}"#,
         "programs[1].loan_terms.max_term_months", "a multiple of it"),
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660}], "overdue_multiplier_percent": 50, "max_term_months": 60, "instalment_months": 3}"#,
         "programs[1].loan_terms.overdue_multiplier_percent", "whole percentage"),
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660}], "overdue_multiplier_percent": 130, "max_term_months": 60}"#,
         "programs[1].loan_terms.instalment_months", "is required"),
        (#"{"rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660, "until": "2025-01-01"}], "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}"#,
         "programs[1].loan_terms.rate_periods[0].until", "is not a field of a rate period"),
    ])
    func badLoanTermsAreRefusedNamingTheField(terms: String, field: String, problem: String) throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: catalogJSON(["kind": #""loan""#, "loan_terms": terms])) })
        #expect(error.field == field)
        #expect(error.message.contains(problem))
    }

    @Test(arguments: [
        ("", "catalog", "unexpected end"),
        ("[]", "catalog", "must be an object"),
        (#"{"catalog_version": 1, "programs": [}"#, "catalog", "line 1, column 37"),
        (#"{"catalog_version": 2, "programs": []}"#, "catalog_version", "reads catalog version 1"),
        (#"{"catalog_version": 1, "programs": []}"#, "programs", "at least one programme"),
        (#"{"programs": []}"#, "catalog_version", "is required"),
        (#"{"catalog_version": 1, "catalog_version": 1, "programs": []}"#, "catalog", "appears twice"),
        ("{\"catalog_version\": 1,\n \"programs\": [1]}", "programs[0]", "must be an object"),
        ("{\"catalog_version\": 1,\n \"programs\": [] } x", "catalog", "line 2, column 19: unexpected text"),
        (#"{"catalog_version": 1, "programs": ["\u0041\ud800"]}"#, "catalog", "lone surrogate"),
    ])
    func malformedCatalogsAreRefusedSayingWhere(text: String, field: String, problem: String) throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: text) })
        #expect(error.code == .invalidInput)
        #expect(error.field == field)
        #expect(error.message.contains(problem))
    }

    @Test func anUnknownTopLevelKeyIsRefused() throws {
        let error = try #require(refusal { try ProgramCatalog(parsing: catalogJSON(extraTopLevel: #", "comment": "draft""#)) })
        #expect(error.field == "comment")
        #expect(error.message.contains("is not a field of a catalog"))
    }

    @Test func aCatalogOfMoreProgrammesThanOneAppendTakesIsRefused() throws {
        let text = #"{"catalog_version": 1, "programs": ["# + Array(repeating: "{}", count: 101).joined(separator: ",") + "]}"
        let error = try #require(refusal { try ProgramCatalog(parsing: text) })
        #expect(error.field == "programs")
        #expect(error.message.contains("has 101 entries; at most 100"))
    }

    @Test func deeplyNestedJSONIsRefusedBeforeItIsRead() throws {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let error = try #require(refusal { try ProgramCatalog(parsing: text) })
        #expect(error.message.contains("nested deeper than"))
    }

    @Test func escapedTextIsDecoded() throws {
        let catalog = try ProgramCatalog(parsing: catalogJSON(["name_en": #""Water \"sạch\" \u0110\u00e0 \ud83d\udca7""#]))
        #expect(catalog.programs[1].nameEn == "Water \"sạch\" Đà 💧")
    }
}

@Suite struct ProgramStateTests {
    static let original = Fixtures.grant(cap: 6_000_000, effectiveFrom: "2024-01-01")
    static let raised = Fixtures.grant(cap: 8_000_000, validUntil: "2026-12-31", effectiveFrom: "2025-01-01")
    static let state = Fixtures.program(original, raised)

    @Test(arguments: [
        ("2023-06-01", VND(6_000_000)), ("2024-01-01", 6_000_000), ("2024-12-31", 6_000_000), ("2025-01-01", 8_000_000), ("2030-01-01", 8_000_000),
    ])
    func theDefinitionInForceIsTheLatestEffectiveOnOrBeforeTheDate(date: String, cap: VND) {
        #expect(Self.state.definition(on: Fixtures.date(date))?.capPerBeneficiaryVND == cap)
    }

    @Test func currentIsTheLatestDefinitionAndTheCodeComesFromTheStream() {
        #expect(Self.state.current == Self.raised)
        #expect(Self.state.code == "NQ12-LATRINE")
        #expect(Self.state.version == 2)
        #expect(Self.state.exists)
        #expect(!ProgramState(streamID: "program-X").exists)
        #expect(ProgramState(streamID: "program-X").definition(on: Fixtures.date("2024-01-01")) == nil)
    }

    @Test func anAmendmentRecordedOutOfDateOrderIsStillOrderedByItsEffectiveDate() {
        let state = Fixtures.program(Self.raised, Self.original)
        #expect(state.definitions == [Self.original, Self.raised])
    }

    @Test func theStateSurvivesASnapshotRoundTrip() throws {
        let data = try JSONEncoder().encode(Self.state)
        #expect(try JSONDecoder().decode(ProgramState.self, from: data) == Self.state)
    }
}
