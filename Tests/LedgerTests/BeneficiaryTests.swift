import Crypto
import Foundation
import Ledger
import Testing

@Suite struct NationalIDTests {
    static let key = Array("0123456789abcdef0123456789abcdef".utf8)

    @Test(arguments: [
        ("012345678901", "54abf57dabe5a95df5b281b504616c785960320af593b37dafa02b0902be6212"),
        (" 123456789 ", "d1be6505f2b72976eaec6b4288706befc24b87fd03a86dfd301e7722ec1d7309"),
    ])
    func theFingerprintIsTheLowercaseHexHMACSHA256OfTheDigits(text: String, fingerprint: String) throws {
        let id = try NationalID(parsing: text)
        #expect(try id.fingerprint(keyBytes: Self.key) == fingerprint)
        #expect(id.fingerprint(key: SymmetricKey(data: Self.key)) == fingerprint)
        #expect(NationalID.isFingerprint(fingerprint))
    }

    @Test func anotherKeyGivesAnotherFingerprint() throws {
        let id = try NationalID(parsing: "012345678901")
        #expect(try id.fingerprint(keyBytes: Self.key) != id.fingerprint(keyBytes: Array(repeating: 7, count: 32)))
    }

    @Test(arguments: [("12345678", "has 8 digits"), ("1234567890", "has 10 digits"), ("12345678901a", "9 or 12 digits"), ("", "9 or 12 digits"), ("123 456 789", "9 or 12 digits"), ("１２３４５６７８９", "9 or 12 digits")])
    func anythingButNineOrTwelveDigitsIsRefused(text: String, problem: String) throws {
        let error = try #require(refusal { try NationalID(parsing: text, field: "--national-id") })
        #expect(error.code == .invalidInput)
        #expect(error.field == "--national-id")
        #expect(error.message.contains(problem))
        #expect(!error.message.contains(text) || text.isEmpty)
    }

    @Test func aShortKeyIsRefused() throws {
        let error = try #require(refusal { try NationalID(parsing: "123456789").fingerprint(keyBytes: Array(repeating: 1, count: 16)) })
        #expect(error.message.contains("at least 32"))
    }

    @Test func thePlainNumberIsNeverPrinted() throws {
        let id = try NationalID(parsing: "012345678901")
        #expect(id.description == "•••••••••901")
        #expect(!"\(id)".contains("0123456"))
    }
}

@Suite struct BeneficiaryCategoryTests {
    @Test(arguments: [("poor", "poor"), ("Near Poor", "near-poor"), ("near_poor", "near-poor"), ("ETHNIC-MINORITY", "ethnic-minority"), ("  hộ nghèo ", "ho-ngheo")])
    func categoriesAreLowercaseHyphenWords(text: String, canonical: String) throws {
        #expect(try BeneficiaryCategory.normalised(text, field: "category") == canonical)
    }

    @Test func aListIsSortedWithDuplicatesMerged() throws {
        #expect(try BeneficiaryCategory.normalisedList(["poor", "Ethnic minority", "POOR"], field: "category") == ["ethnic-minority", "poor"])
    }

    @Test func moreThanTwentyCategoriesAreRefused() throws {
        let error = try #require(refusal { try BeneficiaryCategory.normalisedList((1...21).map { "c\($0)" }, field: "category") })
        #expect(error.message.contains("21 categories; at most 20"))
    }
}

@Suite struct BeneficiaryStateTests {
    @Test func commitmentsAreCountedPerProgrammeNetOfReleases() {
        let state = Fixtures.fold(BeneficiaryState.self, "beneficiary-HH-1", [
            .beneficiaryRegistered(BeneficiaryRegistered(beneficiaryID: "HH-1", kind: .household, name: "Lê Văn Bảy", district: .oMon, categories: ["poor"], bankAccount: nil, nationalIDFingerprint: nil)),
            .benefitCommitted(BenefitCommitted(applicationID: "A-1", program: "NQ12-WATER", amountVND: 10_000_000)),
            .benefitCommitted(BenefitCommitted(applicationID: "A-2", program: "NQ12-HOUSING", amountVND: 40_000_000)),
            .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-WATER", amountVND: 4_000_000)),
        ])
        #expect(state.id == "HH-1")
        #expect(state.exists && state.kind == .household && state.district == .oMon)
        #expect(state.committed(program: "NQ12-WATER") == 6_000_000)
        #expect(state.committed(program: "NQ12-HOUSING") == 40_000_000)
        #expect(state.committed(program: "NQ12-LATRINE") == .zero)
        #expect(state.committed(application: "A-1") == 6_000_000)
    }
}

@Suite struct BeneficiaryRegistrationTests {
    static let fingerprint = "54abf57dabe5a95df5b281b504616c785960320af593b37dafa02b0902be6212"

    static func command(
        name: String = "  Nguyễn Thị Mai ", categories: [String] = ["Poor", "ethnic minority"], bankAccount: String? = "0071 0004 12345"
    ) -> RegisterBeneficiary {
        RegisterBeneficiary(id: "HH-1", kind: .household, name: name, district: .thoiLai, categories: categories, bankAccount: bankAccount)
    }

    static let registered = BeneficiaryRegistered(
        beneficiaryID: "HH-1", kind: .household, name: "Nguyễn Thị Mai", district: .thoiLai, categories: ["ethnic-minority", "poor"],
        bankAccount: "0071 0004 12345", nationalIDFingerprint: fingerprint
    )

    @Test func aNewBeneficiaryIsRegisteredWithNormalisedDetailsAndOnlyTheFingerprint() throws {
        let decision = try BeneficiaryDecisions.register(Self.command(), existing: BeneficiaryState(streamID: "beneficiary-HH-1"), fingerprint: Self.fingerprint)
        #expect(decision.streams == [StreamEvents(stream: "beneficiary-HH-1", expectedVersion: 0, events: [.beneficiaryRegistered(Self.registered)])])
        #expect(decision.summary.contains("Thới Lai"))
    }

    @Test func registeringTheSameBeneficiaryAgainIsAlreadyDone() throws {
        let existing = Fixtures.fold(BeneficiaryState.self, "beneficiary-HH-1", [.beneficiaryRegistered(Self.registered)])
        let decision = try BeneficiaryDecisions.register(
            Self.command(name: "Nguyễn Thị Mai", categories: ["poor", "ETHNIC-MINORITY"]), existing: existing, fingerprint: Self.fingerprint
        )
        #expect(decision.alreadyDone)
        #expect(decision.streams.isEmpty)
    }

    @Test func differentDetailsUnderAnExistingIdAreRefused() throws {
        let existing = Fixtures.fold(BeneficiaryState.self, "beneficiary-HH-1", [.beneficiaryRegistered(Self.registered)])
        let error = try #require(refusal {
            try BeneficiaryDecisions.register(Self.command(name: "Nguyễn Thị Lan"), existing: existing, fingerprint: Self.fingerprint)
        })
        #expect(error.code == .alreadyExists)
        #expect(error.message.contains("HH-1"))
        #expect(error.message.contains("Nguyễn Thị Mai"))
    }

    @Test func aBeneficiaryWithoutNationalIDOrBankAccountIsRegistered() throws {
        let decision = try BeneficiaryDecisions.register(
            Self.command(categories: [], bankAccount: nil), existing: BeneficiaryState(streamID: "beneficiary-HH-1"), fingerprint: nil
        )
        guard case .beneficiaryRegistered(let registered) = try #require(decision.streams.first?.events.first) else {
            Issue.record("expected a registration")
            return
        }
        #expect(registered.nationalIDFingerprint == nil && registered.bankAccount == nil && registered.categories.isEmpty)
    }

    @Test(arguments: [
        (BeneficiaryRegistrationTests.command(name: "   "), "name", "must not be empty"),
        (BeneficiaryRegistrationTests.command(name: String(repeating: "ă", count: 201)), "name", "at most 200"),
        (BeneficiaryRegistrationTests.command(categories: (1...21).map { "c\($0)" }), "category", "at most 20"),
        (BeneficiaryRegistrationTests.command(categories: ["poor;drop"]), "category[0]", "may use only letters"),
        (BeneficiaryRegistrationTests.command(bankAccount: ""), "bank_account", "must not be empty"),
        (BeneficiaryRegistrationTests.command(bankAccount: "0071/0004"), "bank_account", "may use only letters"),
        (RegisterBeneficiary(id: "HH 1", kind: .person, name: "A", district: .coDo, categories: [], bankAccount: nil), "id", "may use only"),
    ])
    func badDetailsAreRefusedNamingTheField(command: RegisterBeneficiary, field: String, problem: String) throws {
        let error = try #require(refusal {
            try BeneficiaryDecisions.register(command, existing: BeneficiaryState(streamID: Streams.beneficiary(command.id)), fingerprint: nil)
        })
        #expect(error.code == .invalidInput)
        #expect(error.field == field)
        #expect(error.message.contains(problem))
    }

    @Test func aFingerprintThatIsNotHexIsRefused() throws {
        let error = try #require(refusal {
            try BeneficiaryDecisions.register(Self.command(), existing: BeneficiaryState(streamID: "beneficiary-HH-1"), fingerprint: "012345678901")
        })
        #expect(error.field == "national_id")
    }

    @Test func theStateSurvivesASnapshotRoundTrip() throws {
        let state = Fixtures.beneficiary(committed: [("A-1", "NQ12-LATRINE", 6_000_000)])
        #expect(try JSONDecoder().decode(BeneficiaryState.self, from: try JSONEncoder().encode(state)) == state)
    }
}
